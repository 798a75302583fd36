"""/admin/assets/import and POST /api/v1/assets/import through the test client."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from casemgr.assets.models import Asset, AssetImportJob
from tests.integration.test_asset_import_jobs import csv_rows, join_job
from tests.web.test_api import assert_error

ADMIN = "root@vendor.example.com"


def upload(client, data: bytes, name: str = "racks.csv", **kw):
    return client.post(
        "/admin/assets/import/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data", **kw
    )


@pytest.mark.commits  # the import runs on a thread of its own, with its own connections
def test_an_upload_runs_as_a_job_and_its_page_shows_the_outcome(web, world, session):
    client = web(ADMIN)
    assert "Upload a CSV" in client.get("/admin/assets/import/").get_data(as_text=True)
    response = upload(client, csv_rows(600, bad_lines={3: "BULK-Y,SA-1,Nobody Inc,Acme DC,"}))
    assert response.status_code == 303
    job_id = int(re.search(r"/admin/assets/import/(\d+)$", response.headers["Location"]).group(1))
    join_job(job_id)
    page = client.get(f"/admin/assets/import/{job_id}").get_data(as_text=True)
    assert "Refused" in page and "nothing was imported" in page
    assert '<td class="nowrap">3</td><td>unknown organisation &#39;Nobody Inc&#39;</td>' in page
    status = client.get(f"/admin/assets/import/{job_id}/status").get_json()
    assert status == {
        "status": "refused",
        "total": 600,
        "processed": 600,
        "imported": 0,
        "components": 0,
        "errors": 1,
        "finished": True,
    }
    good = upload(client, csv_rows(600))
    good_id = int(good.headers["Location"].rsplit("/", 1)[1])
    join_job(good_id)
    assert "600 asset(s) with 0 component(s) imported" in client.get(good.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(Asset.id)).where(Asset.serial.like("BULK-%"))) == 600


def test_a_bad_file_is_refused_on_the_upload_page_with_the_reason(web, world, session):
    client = web(ADMIN)
    response = upload(client, b"serial,model\nX,Y\n", name="wrong.csv")
    assert response.status_code == 422
    assert "wrong.csv: line 1 lacks the column(s) product_model" in response.get_data(as_text=True)
    assert upload(client, b"", name="").status_code == 400
    no_csrf = client.client.post(
        "/admin/assets/import/", data={"file": (io.BytesIO(csv_rows(1)), "a.csv")}, content_type="multipart/form-data"
    )
    assert no_csrf.status_code == 400
    assert session.scalar(select(func.count(AssetImportJob.id))) == 0


@pytest.mark.parametrize("email", ["mgr@vendor.example.com", "eng@vendor.example.com", "admin@acme.example.com"])
def test_only_administrators_import_assets(web, world, session, email):
    client = web(email)
    assert client.get("/admin/assets/import/").status_code == 403
    assert upload(client, csv_rows(2)).status_code == 403
    assert session.scalar(select(func.count(AssetImportJob.id))) == 0


def test_another_admins_job_page_is_readable_and_an_unknown_one_is_404(web, world):
    assert web(ADMIN).get("/admin/assets/import/999999").status_code == 404
    assert web(ADMIN).get("/admin/assets/import/999999/status").status_code == 404


def api_upload(client, data: bytes, name: str = "racks.csv"):
    return client.post(
        "/api/v1/assets/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_the_api_imports_a_csv_or_names_each_bad_line(api, session):
    client = api("admin")
    refused = api_upload(client, csv_rows(20, bad_lines={4: "BULK-Z,SA-1,Acme,No Such DC,"}))
    error = assert_error(refused, 422, "validation_error")
    assert error["details"] == [{"line": 4, "message": "organisation Acme has no site 'No Such DC'"}]
    assert session.scalar(select(func.count(Asset.id)).where(Asset.serial.like("BULK-%"))) == 0
    done = api_upload(client, csv_rows(20))
    assert done.status_code == 201 and done.get_json() == {"imported": 20, "components": 0}
    assert session.scalar(select(func.count(Asset.id)).where(Asset.serial.like("BULK-%"))) == 20
    assert_error(api_upload(client, b"serial\n1\n"), 422, "validation_error")
    assert_error(client.post("/api/v1/assets/import", json={}), 422, "validation_error")
    assert_error(api_upload(api("manager"), csv_rows(1)), 403, "forbidden")


@pytest.mark.commits
def test_an_interrupted_import_says_so_and_runs_again_with_one_click(web, world, session, clock):
    from datetime import timedelta

    from casemgr.assets import import_jobs

    job = import_jobs.start_import(session, world.user("admin"), filename="cut.csv", data=csv_rows(20), now=clock.now())
    clock.advance(import_jobs.SILENT_FOR + timedelta(minutes=1))
    import_jobs.mark_interrupted(session, clock.now())
    client = web(ADMIN)
    page = client.get(f"/admin/assets/import/{job.id}").get_data(as_text=True)
    assert "Failed" in page and "the server running it went away" in page and "Run the import again" in page
    no_csrf = client.client.post(f"/admin/assets/import/{job.id}/retry")
    assert no_csrf.status_code == 400
    response = client.post(f"/admin/assets/import/{job.id}/retry")
    assert response.status_code == 303
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    join_job(new_id)
    assert "20 asset(s) with 0 component(s) imported" in client.get(response.headers["Location"]).get_data(as_text=True)
    again = client.post(f"/admin/assets/import/{job.id}/retry")
    assert again.status_code == 422 and "Only a failed import" in again.get_data(as_text=True)


def test_a_refused_api_import_is_on_the_safety_blocks_with_who_imported(api, session, world):
    from casemgr.assets.models import Component
    from casemgr.assets.services import mark_component
    from casemgr.safety.models import SafetyBlock

    bay2 = session.scalar(select(Component).where(Component.serial == "ACME-001-D2"))
    mark_component(session, world.user("engineer"), bay2, "failed", bay2.installed_at)
    session.commit()
    data = (
        b"serial,product_model,organization,site,contract,components\nNEW-1,SA-1,Acme,Acme DC,,bay 1=DRV-1:ACME001D2\n"
    )
    assert_error(api_upload(api("admin"), data), 422, "validation_error")
    session.expire_all()
    [block] = session.scalars(select(SafetyBlock)).all()
    assert (block.channel, block.actor_id, block.rule_code) == (
        "import",
        world.user("admin").id,
        "SG-INSTALL-QUARANTINED",
    )
