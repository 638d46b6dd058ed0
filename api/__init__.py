"""The faces of PageSight: the wiring that is also the Python API (`PageSight`, and `ServerClient`
with the same methods over HTTP), the command line, the REST API and its chat page."""
