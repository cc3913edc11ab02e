# gunicorn settings, the same for every backend service. One process with threads: Prometheus metrics live in
# that process's memory, and the pod's CPU limit is a fraction of a core anyway (scale out with the HPA).
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = 1
worker_class = "gthread"
threads = 4
timeout = 30
graceful_timeout = 20
keepalive = 5
# The root filesystem is read-only: the worker heartbeat file goes to memory.
worker_tmp_dir = "/dev/shm"
# gunicorn 24+ opens a control socket under $HOME; the image has no writable home and nothing uses it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = "info"
