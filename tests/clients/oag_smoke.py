"""The client openapi-generator's `python` generator makes, against a live Portico.

Usage: python oag_smoke.py <base URL> <admin API key>   (portico_oag on PYTHONPATH)
The same steps as opc_smoke.py: create a patient, invite, list, read the access, and read an
error as a `Problem`; exits non-zero on anything unexpected.
"""

import sys
import uuid
import datetime

import portico_oag
from portico_oag.api.invitations_api import InvitationsApi
from portico_oag.api.patients_api import PatientsApi
from portico_oag.api.portal_access_api import PortalAccessApi
from portico_oag.exceptions import NotFoundException
from portico_oag.models import (
    Channel,
    NewInvitationBody,
    NewPatientBody,
    Problem,
    Relation,
)

base, key = sys.argv[1], sys.argv[2]
config = portico_oag.Configuration(host=base, access_token=key)
api = portico_oag.ApiClient(config)
patients, invitations, access_api = PatientsApi(api), InvitationsApi(api), PortalAccessApi(api)

patient = patients.create_patient(
    NewPatientBody(
        first_name="Grace",
        last_name="Generated",
        date_of_birth=datetime.date(1981, 3, 4),
        email="grace.oag@example.org",
    )
)
assert patient.date_of_birth == datetime.date(1981, 3, 4), patient

invitation = invitations.send_invitation(
    patient.id, NewInvitationBody(channel=Channel.EMAIL, relation=Relation.SELF)
)
assert invitation.id, invitation

page = patients.list_patients(name="Generated")
assert any(p.id == patient.id for p in page.items), page

access = access_api.list_patient_access(patient.id)
assert len(access) == 1 and access[0].relation == Relation.SELF, access

try:
    patients.get_patient(str(uuid.uuid4()))
    sys.exit("FAIL: an unknown patient was found")
except NotFoundException as e:
    problem = Problem.from_json(e.body)
    assert problem.status == 404 and problem.code, problem

print(f"openapi-generator python: ok (patient {patient.id}, access {access[0].status}, "
      f"error {problem.code})")
