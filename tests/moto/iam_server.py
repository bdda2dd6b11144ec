#!/usr/bin/env python3
"""moto's server, with its IAM enforcement made to judge requests the way AWS does.

    python iam_server.py -H 127.0.0.1 -p PORT      (the arguments of `python -m moto.server`)

tests/least_privilege.rs turns enforcement on (POST /moto-api/reset-auth) and scans as a user
holding exactly vpcaudit's policy. Two places where moto 5.2.5 judges differently from AWS are
corrected here; nothing else is changed, and without enforcement this is plain moto:

- Signature of REST GET requests (Lambda, API Gateway): moto re-signs them with the query
  parameters as a form body, so every correctly signed GET fails with SignatureDoesNotMatch.
  The canonical request is rebuilt with the empty body that was signed.
- API Gateway's IAM actions: AWS authorises its management API by HTTP method
  (`apigateway:GET` on the resource path), moto by operation name (`apigateway:GetRestApis`).
"""

import sys

from moto.iam import access_control

_create_aws_request = access_control.IAMRequestBase._create_aws_request
_check_action_permitted = access_control.IAMRequestBase.check_action_permitted


def create_aws_request(self):
    if not self._body and self._method in ("GET", "HEAD", "DELETE"):
        data, self._data = self._data, {}
        try:
            return _create_aws_request(self)
        finally:
            self._data = data
    return _create_aws_request(self)


def check_action_permitted(self, resource):
    if self._service == "apigateway":
        self._action = f"apigateway:{self._method}"
    return _check_action_permitted(self, resource)


access_control.IAMRequestBase._create_aws_request = create_aws_request
access_control.IAMRequestBase.check_action_permitted = check_action_permitted

from moto.server import main  # noqa: E402  (after the patches)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
