"""The `mirrord-cli` session engine: find the user's mirrord CLI (`discover`), run
`mirrord ext` as mirrord's own IDE extensions do (`ext`), and keep its sessions
(`engine`)."""
