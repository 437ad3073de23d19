"""The WSGI entry point: `gunicorn 'handouts.wsgi:app'` or `waitress-serve handouts.wsgi:app`.

Settings come from the environment (or a .env file); run `handouts worker` processes beside it for the queue.
"""

from handouts.app import create_app

app = create_app()
