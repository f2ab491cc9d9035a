"""A first end-to-end pass in-process: accept, apply, read back."""

from fastapi.testclient import TestClient


def test_people_request_is_accepted_applied_and_reported(client: TestClient, tenant, run_worker):
    # Given a people request with one valid and one invalid record
    records = [
        {"matricula": "1", "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"},
        {"matricula": "2", "nome": "Bia", "pis": "123", "dataAdmissao": "01/02/2024"},
    ]
    # When it is posted and the worker runs
    accepted = client.post("/people", json=records, headers=tenant.headers)
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["message"] == "People Integration on progress"
    assert run_worker() == 1
    # Then the monitor reports the failed record with its message
    report = client.get("/process", params={"subunique": body["subunique"]}, headers=tenant.headers)
    assert report.status_code == 200
    assert report.json()["status"] == "warning"
    assert report.json()["progress"] == {"done": "2", "total": "2"}
    assert report.json()["data"]["errors"] == [
        {"identifier": "2", "index": 1, "message": ["PIS Inválido"]}
    ]
