"""gunicorn's settings for the antragsweg-web unit (deploy/systemd/antragsweg-web.service)."""

# nginx reaches the node on loopback (deploy/nginx/antragsweg/upstream.conf).
bind = "127.0.0.1:8000"
workers = 4  # 2 × cores: a worker waits on the database
threads = 2
timeout = 60

# Scheme, host and client address come from the proxy through the app's ProxyFix alone, counted
# by ANTRAGSWEG_TRUSTED_PROXIES; gunicorn itself believes no X-Forwarded-* header (by default it
# would take X-Forwarded-Proto from anyone on 127.0.0.1).
forwarded_allow_ips = ""
secure_scheme_headers = {}
