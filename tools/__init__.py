"""Developer tools that run beside the app as their own processes; the app never imports them."""
