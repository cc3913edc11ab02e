import os
import sys

# The service's modules (app.py, service_kit.py) sit one folder up, as in the image's /app.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
