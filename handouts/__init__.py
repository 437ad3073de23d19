"""The composition root: the only package that knows every adapter and wires them into the domain's ports.

    cli       the `handouts` command
    wiring    open_runtime(): database, schema, storage, queue, AI and every adapter's notifier, once a process
    app       create_app(): the Flask application factory (operator pages, files, Slack, LTI blueprints)
    wsgi      `app` for any WSGI server (gunicorn 'handouts.wsgi:app', waitress-serve handouts.wsgi:app)
    schema    Alembic migrations over every table (the domain's and the adapters')
"""
