"""Page scripts: each runs one page with the services of the current settings. Imported by nothing."""
