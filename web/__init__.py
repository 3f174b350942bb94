"""The reviewers' workbench (`popdq web`): sign-in, the inbox of one's localities, the item
side by side, decisions with their audit trail.

Server-rendered (Starlette/FastAPI, Jinja2 with autoescape), every asset served from
`web/static`. Every change goes through `popdq.commands`, the same use cases as the CLI.
"""
