"""Callbacks: the signed POST a customer receives when a batch (or lone run) ends."""
