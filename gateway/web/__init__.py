"""Pages for people: sign up, add meters, see the credentials and charts (French, English).

``routes.register`` adds the pages; ``sessions`` holds the browser sessions, ``csrf`` the
anti-forgery checks, ``i18n`` the words, ``render`` the page rendering, ``errors`` the
error page of the web surface. Templates and the stylesheet are in this package.
"""
