"""Background work: the nightly match, report snapshots, and the clock process that runs them."""
