"""WTForms of Antragsweg: one module per area. Every form carries a CSRF token (Flask-WTF)."""
