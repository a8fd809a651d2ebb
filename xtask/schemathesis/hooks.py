"""Hooks for the Schemathesis run of `cargo xtask schemathesis` (xtask/src/schemathesis.rs).

The run authenticates with one API token. `DELETE /api/tokens/{id}` is fuzzed like every
other operation, but given that token's own id it would revoke the run's credentials and
leave every later request a 401: that one call is sent for id 0 (no such token, a
documented 404) instead. Every other id, including the tokens the run creates, is deleted
as generated.
"""

import os

import schemathesis

OWN_TOKEN_ID = os.environ["INTAKE_FUZZ_TOKEN_ID"]


@schemathesis.hook
def before_call(context, case, **kwargs):
    if (
        case.operation.label == "DELETE /api/tokens/{id}"
        and case.path_parameters is not None
        and str(case.path_parameters.get("id")) == OWN_TOKEN_ID
    ):
        case.path_parameters["id"] = 0
