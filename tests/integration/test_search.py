"""Search on both databases: ranking, safe snippets, tenancy and role in the SQL, exact
identifiers, and an index that is current in the transaction of the write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casemgr.cases import comments as case_comments
from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import CaseEvent
from casemgr.search import service
from casemgr.search.text import SearchInputError, parse_query
from rma import services as rma_services
from tests.factories import create_case, create_rma, create_user


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def found(session, user, text, kind=None, **kw):
    return service.search(session, user, parse_query(text, kind), **kw).hits


def keys(hits):
    return [(h.kind, h.key) for h in hits]


def comment(session, user, case, body, *, public=True, now):
    store = LocalAttachmentStore("/nonexistent/no-uploads-here", 1 << 20)
    return case_comments.add_comment(session, user, store, case, body=body, public=public, now=now)


def test_a_case_is_found_by_words_of_its_subject_and_description(ctx, session, world, clock):
    case = create_case(
        session,
        asset=world.acme_asset,
        opener=world.user("acme_admin"),
        subject="Controller overheating",
        description="The fan of controller B spins slowly",
    )
    create_case(
        session,
        asset=world.acme_asset,
        opener=world.user("acme_admin"),
        subject="Bay 3 failed",
        description="Amber light",
    )
    hits = found(session, world.user("engineer"), "controllers fans")  # stemmed: controller, fan
    assert ("case", case.number) in keys(hits)
    assert all(h.key == case.number for h in hits if h.kind == "case")
    assert hits[0].url == f"/cases/{case.number}"


def test_a_match_in_the_subject_outranks_one_in_the_description(ctx, session, world):
    opener = world.user("acme_admin")
    in_description = create_case(
        session,
        asset=world.acme_asset,
        opener=opener,
        subject="Slow array",
        description="After the firmware update the latency rose",
    )
    in_subject = create_case(
        session,
        asset=world.acme_asset,
        opener=opener,
        subject="Firmware update failed",
        description="It stopped at 40 percent",
    )
    hits = found(session, world.user("engineer"), "firmware", kind="case")
    assert [h.key for h in hits] == [in_subject.number, in_description.number]


def test_matched_words_are_marked_and_everything_else_is_escaped(ctx, session, world, clock):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"))
    comment(
        session, world.user("engineer"), case, 'The zebrafish: try <script>alert("x")</script> & co', now=clock.now()
    )
    [hit] = found(session, world.user("engineer"), "zebrafish", kind="comment")
    snippet = str(hit.snippet)
    assert "<mark>zebrafish</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert hit.url.endswith(f"#event-{hit.url.rsplit('-', 1)[1]}") and hit.key == case.number


def test_a_comment_is_searchable_in_the_transaction_that_writes_it(ctx, session, world, clock):
    from casemgr.cases.models import CaseEvent

    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"))
    engineer = world.user("engineer")
    session.add(
        CaseEvent(
            case_id=case.id,
            kind="comment",
            actor_id=engineer.id,
            public=True,
            body="quokka sighting",
            created_at=clock.now(),
        )
    )
    session.flush()  # not committed: the same transaction reads its own write through the index
    assert [h.key for h in found(session, engineer, "quokka", kind="comment")] == [case.number]
    session.rollback()
    assert found(session, engineer, "quokka", kind="comment") == []


def test_a_comment_posted_through_the_service_is_found_at_once(ctx, session, world, clock):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"))
    comment(session, world.user("acme_admin"), case, "The echidna test passed", now=clock.now())
    assert [h.key for h in found(session, world.user("acme_admin"), "echidna")] == [case.number]


def test_another_organisations_text_never_appears(ctx, session, world):
    globex = create_case(
        session,
        asset=world.globex_asset,
        opener=world.user("globex_admin"),
        subject="Globex platypus outage",
        description="platypus everywhere",
    )
    acme = create_case(
        session,
        asset=world.acme_asset,
        opener=world.user("acme_admin"),
        subject="Acme platypus question",
        description="one platypus",
    )
    for who in ("acme_admin", "acme_user", "account"):  # the account manager watches Acme only
        hits = found(session, world.user(who), "platypus")
        assert globex.number not in {h.key for h in hits}, who
        assert acme.number in {h.key for h in hits}, who
    assert {globex.number, acme.number} <= {h.key for h in found(session, world.user("engineer"), "platypus")}
    assert found(session, world.user("field"), "platypus") == []  # field engineers reach cases through RMAs


def test_internal_notes_are_found_by_vendor_staff_only(ctx, session, world, clock):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"))
    comment(
        session, world.user("engineer"), case, "Internal: wombat firmware bug suspected", public=False, now=clock.now()
    )
    comment(session, world.user("engineer"), case, "We are looking at the wombat report", now=clock.now())
    customer_hits = found(session, world.user("acme_admin"), "wombat", kind="comment")
    staff_hits = found(session, world.user("engineer"), "wombat", kind="comment")
    assert len(customer_hits) == 1 and "Internal" not in str(customer_hits[0].snippet)
    assert len(staff_hits) == 2
    assert len(found(session, world.user("account"), "wombat", kind="comment")) == 2


def test_exact_identifiers_in_any_case_name_what_they_are_and_only_when_visible(ctx, session, world, clock):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"), slot="bay 4")
    rma = create_rma(session, case=case)
    rma_services.ship_replacement(
        session,
        create_user(session, "support_engineer"),
        rma,
        carrier="UPS",
        tracking="1Z999AA10123456784",
        now=clock.now(),
    )
    customer, stranger = world.user("acme_admin"), world.user("globex_admin")
    cases = [case.number.lower(), case.number, case.number.replace("-", ""), "cs-" + case.number[-1]]
    for typed in cases:
        assert service.jump_target(session, customer, parse_query(typed)) == f"/cases/{case.number}", typed
        assert service.jump_target(session, stranger, parse_query(typed)) is None, typed
    for typed, url in [
        (rma.number.lower(), f"/rmas/{rma.number}"),
        ("1z999aa10123456784", f"/rmas/{rma.number}"),
        ("acme-001", "/assets/ACME-001"),
        ("acme-001-d2", "/assets/ACME-001"),
    ]:
        assert service.jump_target(session, customer, parse_query(typed)) == url, typed
        assert service.jump_target(session, stranger, parse_query(typed)) is None, typed
        assert found(session, stranger, typed) == [], typed
    assert service.jump_target(session, world.user("field"), parse_query(rma.number)) is None  # not theirs


def test_rma_problem_text_is_found_by_whoever_sees_the_rma(ctx, session, world):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"), slot="bay 4")
    rma = create_rma(session, case=case, problem="Capybara noise from the drive")
    assert keys(found(session, world.user("acme_admin"), "capybara", kind="rma")) == [("rma", rma.number)]
    assert found(session, world.user("globex_admin"), "capybara") == []


def test_pages_follow_each_other_with_the_cursor_and_end(ctx, session, world, clock):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"))
    for n in range(5):
        comment(session, world.user("engineer"), case, f"narwhal update {n}", now=clock.now())
    user = world.user("engineer")
    query = parse_query("narwhal")
    first = service.search(session, user, query, limit=3)
    second = service.search(session, user, query, first.next, limit=3)
    assert len(first.hits) == 3 and len(second.hits) == 2 and second.next is None
    assert {h.url for h in first.hits}.isdisjoint({h.url for h in second.hits})
    with pytest.raises(SearchInputError):
        service.search(session, user, parse_query("other words"), first.next)


def test_a_query_of_fts_syntax_is_searched_as_words(ctx, session, world):
    for text in ['"unbalanced', "a AND OR NOT", "col:value*", "NEAR(x y)", "-", "!!!", "'; DROP TABLE x; --"]:
        assert isinstance(found(session, world.user("engineer"), text), list), text


def test_the_visibility_tokens_of_the_index_are_never_matched_by_words(ctx, session, world, clock):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"))
    comment(session, world.user("engineer"), case, "A note", public=False, now=clock.now())
    for who in ("engineer", "acme_admin"):
        for word in ("public", "internal", f"o{world.acme.id}"):
            assert found(session, world.user(who), word) == [], (who, word)


def test_every_timeline_entry_carries_its_case_organisation_whoever_builds_it(session, clock):
    """Migration 0026's copy, kept by the model on insert: from a loaded case, or read by the
    INSERT itself when only the case's id was given."""
    case = create_case(session)
    session.commit()
    session.expire_all()  # the case is not loaded on the entry built by id
    by_id = CaseEvent(case_id=case.id, kind="comment", public=True, body="by id", data={}, created_at=clock.now())
    by_case = CaseEvent(case=case, kind="comment", public=True, body="by case", data={}, created_at=clock.now())
    session.add_all([by_id, by_case])
    session.flush()
    session.expire_all()
    assert {e.organization_id for e in (by_id, by_case)} == {case.organization_id}
    assert session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.organization_id.is_(None))) == 0


def test_on_sqlite_a_word_too_common_for_bm25_lists_the_newest_matches_first(ctx, session, world, clock, monkeypatch):
    """bm25 counts a word's rows over the whole table: past the bound the page is newest first
    (PostgreSQL ranks every time: ts_rank weighs the row alone)."""
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"), subject="Noise")
    engineer = world.user("engineer")
    bodies = [f"fan noise report {n}" + " fan" * (2 - n) for n in range(3)]  # the oldest says fan most
    for body in bodies:
        comment(session, engineer, case, body, now=clock.now())
    comment(session, engineer, case, "the rare quokka word", now=clock.now())
    session.commit()

    def comments_found(text):
        return [h.snippet.striptags() for h in found(session, engineer, text) if h.kind == "comment"]

    assert comments_found("fan")[0].startswith("fan noise report 0")  # ranked
    monkeypatch.setattr(service, "RANKED_MAX_ROWS", 3)
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        events = {"case_event_fts"}
        assert service.rankable_tables(session, parse_query("fan"), events) == frozenset()
        assert service.rankable_tables(session, parse_query("quokka"), events) == events
        assert service.rankable_tables(session, parse_query("quokka fan"), events) == frozenset()
    newest_first = [s.split(" fan")[0] for s in comments_found("fan")]
    expected = ["fan noise report 2", "fan noise report 1", "fan noise report 0"]
    assert (newest_first == expected) == sqlite, newest_first
