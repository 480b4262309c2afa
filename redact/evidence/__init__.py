"""Chain of custody: seals, keys and signatures, custody log, logs, content credentials, verify."""
