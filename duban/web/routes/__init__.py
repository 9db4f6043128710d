"""Route modules, thin: parse the request, check access, call models/, render a page."""
