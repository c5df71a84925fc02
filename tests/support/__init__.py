"""What every test that drives the real server shares: how it is started and its environment."""
