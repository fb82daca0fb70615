"""HTML/JSON renderers, one module per sandbox site; pages are rendered once per night."""
