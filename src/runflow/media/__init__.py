"""Media: uploaded, fetched and generated images and videos, stored and served by signed URL."""
