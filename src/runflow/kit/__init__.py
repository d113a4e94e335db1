"""Small shared machinery used by every domain."""
