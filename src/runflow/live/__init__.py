"""Live progress: Server-Sent Event streams of batches and runs (DESIGN §17)."""
