"""The server face: the REST API (FastAPI: `app.py`, its routes, request and response schemas, the key
gate), its service (upload jobs, the automatic index build), the app database (conversations and jobs,
Alembic migrations) and the chat page (`static/`). It calls the wiring (`..pagesight`) and no other face.
"""
