"""The client openapi-python-client generates, against a live Portico.

Usage: python opc_smoke.py <base URL> <admin API key>   (portico_client on PYTHONPATH)
Creates a patient, invites them, lists patients, reads their access, and reads an error as
a `Problem`; exits non-zero on anything unexpected.
"""

import sys
import uuid
import datetime

from portico_client import AuthenticatedClient
from portico_client.api.invitations import send_invitation
from portico_client.api.patients import create_patient, get_patient, list_patients
from portico_client.api.portal_access import list_patient_access
from portico_client.models import (
    Channel,
    InvitationView,
    NewInvitationBody,
    NewPatientBody,
    PatientPage,
    PatientView,
    Problem,
    Relation,
)

base, key = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base, token=key, raise_on_unexpected_status=True)

patient = create_patient.sync(
    client=client,
    body=NewPatientBody(
        first_name="Ada",
        last_name="Generated",
        date_of_birth=datetime.date(1980, 1, 2),
        email="ada.opc@example.org",
    ),
)
assert isinstance(patient, PatientView), patient
assert patient.date_of_birth == datetime.date(1980, 1, 2), patient.date_of_birth

invitation = send_invitation.sync(
    patient.id,
    client=client,
    body=NewInvitationBody(channel=Channel.EMAIL, relation=Relation.SELF),
)
assert isinstance(invitation, InvitationView), invitation

page = list_patients.sync(client=client, name="Generated")
assert isinstance(page, PatientPage), page
assert any(p.id == patient.id for p in page.items), page

access = list_patient_access.sync(patient.id, client=client)
assert isinstance(access, list) and len(access) == 1, access
assert access[0].relation == Relation.SELF, access[0]

missing = get_patient.sync(uuid.uuid4(), client=client)
assert isinstance(missing, Problem), missing
assert missing.status == 404 and missing.code, missing.to_dict()

print(f"openapi-python-client: ok (patient {patient.id}, access {access[0].status}, "
      f"error {missing.code})")
