import os
import sys

# The image's layout: the modules (service_kit.py, gunicorn.conf.py and the service's app.py) in /app, and in
# /app/tests the kit's tests (this folder) next to the service's own (<service>/tests/). See python-kit/Dockerfile.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
