"""Workers: the processes that run models, what each serves, and whether it is alive (§13)."""
