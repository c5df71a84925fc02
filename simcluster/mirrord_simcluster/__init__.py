"""A simulated Kubernetes API server (HTTPS on loopback) for the demo and the tests.

kubectl and the official client work against it: discovery, namespaces, nodes, pods,
workloads, configmaps, secrets, events; list/get/create/update/patch/delete/watch with
selectors, pagination and real `Status` errors; per-user RBAC; fault injection; a
scheduler, a Job/Deployment controller; pod logs and port-forward to a simulated agent.

Entry points: `testing.running_cluster()` (tests, benchmarks), `cli.run_demo_cluster()`
(`mirrord-ide demo-cluster`), `seed` (the YAML seed format), `seedgen.big_namespace()`.
"""
