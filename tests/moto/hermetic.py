"""Imported first by the moto helper scripts: whatever the caller's environment holds, talk to
moto with fake credentials and read no AWS config or credentials file, no profile, no instance
metadata and no proxy. Only the endpoint given on the command line is contacted."""

import os

for _key in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_key]
for _key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_key, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
)
