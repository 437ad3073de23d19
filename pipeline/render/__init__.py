"""Data in, file out: the PDF handouts (pdf) and the slides.json manifest (manifest)."""
