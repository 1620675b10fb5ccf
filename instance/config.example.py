# Copy to instance/config.py. Every setting can also come from the environment as ANTRAGSWEG_<NAME>.

# PostgreSQL instead of the embedded SQLite database:
# DATABASE_URL = "postgresql+psycopg://antragsweg@127.0.0.1:5432/antragsweg"

# A fixed secret key (otherwise one is generated into instance/secret_key):
# SECRET_KEY = "…"

# Behind HTTPS:
# SESSION_COOKIE_SECURE = True
# REMEMBER_COOKIE_SECURE = True
# Behind a reverse proxy (nginx, deploy/nginx/): how many there are, so that only their
# X-Forwarded-* values are believed (0, the default, believes none):
# TRUSTED_PROXIES = 1

# Electronic signatures of statements and letters (PAdES): the secret the certificates' private keys
# are encrypted with in the database (otherwise one is generated into instance/signing_key_secret;
# keep it with this configuration, not with the backups), the trust roots verification accepts, and
# a timestamp authority for PAdES B-T (without one: B-B).
# SIGNING_KEY_SECRET = "…"
# SIGNING_TRUST_ROOTS = ["/etc/antragsweg/trust-roots"]
# SIGNING_TSA_URL = "https://tsa.example.org/tsr"
