"""The pure rules of search: queries, identifiers, safe snippets, cursors."""

from __future__ import annotations

import pytest

from casemgr.search.text import (
    MARK_END,
    MARK_START,
    PG_GT,
    PG_LT,
    SearchInputError,
    case_number,
    decode_cursor,
    encode_cursor,
    highlighted,
    identifier,
    parse_query,
    rma_number,
)


@pytest.mark.parametrize("text", ["", "   ", None, "x" * 201, "disk\x00"])
def test_empty_too_long_or_nul_queries_are_refused_with_the_field(text):
    with pytest.raises(SearchInputError) as info:
        parse_query(text)
    assert info.value.status == 422 and "q" in info.value.details


def test_an_unknown_kind_is_refused_and_a_blank_one_means_everything():
    with pytest.raises(SearchInputError):
        parse_query("disk", "tickets")
    assert parse_query("  disk   failure ", "").kind is None
    assert parse_query("  disk   failure ", "").text == "disk failure"


def test_fts5_syntax_in_the_query_is_quoted_away():
    assert parse_query('disk" OR col:x* NEAR(a b)').fts5_match == '"disk" "OR" "col" "x" "NEAR" "a" "b"'
    assert parse_query("---").fts5_match == ""


@pytest.mark.parametrize(
    ("typed", "number"),
    [("cs-000001", "CS-000001"), ("CS-000001", "CS-000001"), ("cs1", "CS-000001"), ("/cases/cs-42", "CS-000042")],
)
def test_case_numbers_are_recognised_in_any_case(typed, number):
    assert case_number(typed) == number


def test_other_text_is_not_a_case_or_rma_number():
    assert case_number("case 1") is None and case_number("CS-") is None
    assert rma_number("rma-7") == "RMA-000007" and rma_number("RMA7x") is None
    assert identifier("acme-001-d2") == "ACME-001-D2" and identifier("two words") is None


def test_a_snippet_is_escaped_except_the_marks():
    raw = f"<b>{MARK_START}disk{MARK_END}</b> & {PG_LT}script{PG_GT}"
    assert str(highlighted(raw)) == "&lt;b&gt;<mark>disk</mark>&lt;/b&gt; &amp; &lt;script&gt;"


def test_unbalanced_marks_never_leave_an_open_element():
    assert str(highlighted(f"{MARK_START}disk")) == "<mark>disk</mark>"
    assert str(highlighted(f"disk{MARK_END}")) == "disk"


def test_a_cursor_continues_its_own_search_only():
    query = parse_query("disk")
    cursor = encode_cursor(query, 40)
    assert decode_cursor(query, cursor) == 40
    with pytest.raises(SearchInputError):
        decode_cursor(parse_query("fan"), cursor)
    for bad in ("not-base64!", "e30", encode_cursor(query, 1)[:-3]):
        with pytest.raises(SearchInputError):
            decode_cursor(query, bad)
