"""Landing steps: put each source's raw files in a tenant's landing zone."""
