"""Agent launch for debug sessions.

Pure: `resolve` (target → pod, container, container id, node), `spec` (the
agent Job manifest), `settings` (the config values the launch reads), `env`
(the target container's environment), `readiness` (the agent pod's state).
I/O: `kube` (API calls over the shared cluster client), `launcher` (one
launch: create, watch, connect, undo), `portforward` (the loopback listener),
`owner` (process identity), `sessions` (the session registry).
"""
