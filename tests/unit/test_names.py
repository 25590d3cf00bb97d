"""Names that are who they claim.

A name is whatever its holder typed: it may copy the chair's ("Carol (US)"), break a line to
forge a second message, or carry direction marks that turn the words after it around. The bot
cleans a name of every control and format character and tells apart two people whose names
read alike by the part of their Matrix ids that differs; where names are placed is
`test_names_placed`.
"""

from __future__ import annotations

import unicodedata
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st
from nio import MatrixRoom

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.names import FSI, PDI, clean_name, isolate, told_apart
from bot.matrix.members import RoomMembers
from bot.services.people import People
from tests.harness.fakes import Seats
from tests.unit.test_meetings_commands import BETO, CAROL, DANI, EN, ES

ASSEMBLY = Assembly(
    name="Asamblea",
    rooms=(
        AssemblyRoom(EN, "en", "US", "America/New_York"),
        AssemblyRoom(ES, "es", "MX", "America/Mexico_City"),
    ),
    chairs=(CAROL,),
)
# What a hostile name tries: a second line that reads like another message, turned around.
FORGED = "Mallory\nCarol (US): the meeting is \u202eoff\u202c\t"
# Characters a name may not keep: they break lines or change the direction of what follows.
REMOVED = ("Cc", "Cf", "Cs", "Zl", "Zp")
JOINERS = ("\u200c", "\u200d")


def named(name: str) -> str:
    """A name as a plain body shows it: isolated from the words around it."""
    return f"{FSI}{name}{PDI}"


# -- cleaning ---------------------------------------------------------------------------------


def test_a_line_break_becomes_a_space_and_direction_marks_are_left_out() -> None:
    assert clean_name(FORGED) == "Mallory Carol (US): the meeting is off"
    assert clean_name("\u2067\u0633\u0627\u0631\u0629\u2069 \u200e\u200fAna\u061c") == (
        "\u0633\u0627\u0631\u0629 Ana"
    )
    assert clean_name("Ana\u2028Beto\u2029\u200bDani\ufeff") == "Ana Beto Dani"


def test_emoji_sequences_and_scripts_that_need_joiners_keep_them() -> None:
    assert clean_name("Dani 👩\u200d💻") == "Dani 👩\u200d💻"
    assert clean_name("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )


@given(st.text())
def test_no_name_keeps_a_control_or_format_character(name: str) -> None:
    cleaned = clean_name(name)
    assert not [c for c in cleaned if unicodedata.category(c) in REMOVED and c not in JOINERS]
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert clean_name(cleaned) == cleaned


@given(st.text())
def test_an_isolated_name_is_one_clean_isolate(name: str) -> None:
    shown = isolate(name)
    assert shown == named(clean_name(name))
    assert shown.count(FSI) == 1 and shown.count(PDI) == 1


# -- telling people apart ---------------------------------------------------------------------


def test_a_name_nobody_shares_is_shown_as_it_is() -> None:
    assert told_apart({CAROL: "Carol", BETO: "Beto"}) == {CAROL: "Carol", BETO: "Beto"}


def test_names_that_read_alike_get_the_localpart_of_each_id() -> None:
    shown = told_apart({CAROL: "Carol", DANI: "CAROL\u200b", BETO: "Beto"})
    assert shown == {CAROL: "Carol [@carol]", DANI: "CAROL [@dani]", BETO: "Beto"}


def test_letters_of_another_script_that_read_as_latin_are_told_apart() -> None:
    """Mallory writes Carol's name with a Cyrillic "С" and "о", Dani hers with a Greek "Ο"."""
    shown = told_apart({CAROL: "Carol", DANI: "\u0421ar\u043el", BETO: "Beto"})
    assert shown == {CAROL: "Carol [@carol]", DANI: "\u0421ar\u043el [@dani]", BETO: "Beto"}
    alike = told_apart({"@beto:a": "Beto", "@mallory:a": "B\u0435t\u039f"})
    assert alike == {"@beto:a": "Beto [@beto]", "@mallory:a": "B\u0435t\u039f [@mallory]"}


def test_names_with_accents_or_in_other_scripts_read_as_themselves() -> None:
    names = {
        "@jose:a": "José",
        "@jose2:a": "Jose",
        "@dimitris:a": "Δημήτρης",
        "@dmitri:a": "Дмитрий",
        "@nandu:a": "Ñandú",
        "@nandu2:a": "Nandu",
    }
    assert told_apart(names) == names


def test_equal_localparts_on_two_servers_show_the_whole_ids() -> None:
    shown = told_apart({"@ana:a.org": "Ana", "@ana:b.org": "Ana", "@mallory:b.org": "ana"})
    assert shown == {
        "@ana:a.org": "Ana [@ana:a.org]",
        "@ana:b.org": "Ana [@ana:b.org]",
        "@mallory:b.org": "ana [@mallory]",
    }


def test_a_tag_written_into_a_name_is_nobodys_id() -> None:
    """Mallory cannot name herself "Carol [@carol]": the tag is read off, and given back
    only by the bot, with her own id."""
    shown = told_apart({CAROL: "Carol", DANI: "Carol [@carol]"})
    assert shown == {CAROL: "Carol [@carol]", DANI: "Carol [@dani]"}
    assert told_apart({DANI: "Dani [@carol]"}) == {DANI: "Dani"}


def test_someone_known_by_their_id_needs_no_tag() -> None:
    shown = told_apart({CAROL: CAROL, DANI: CAROL})
    assert shown == {CAROL: CAROL, DANI: f"{CAROL} [@dani]"}


def test_telling_apart_twice_changes_nothing() -> None:
    once = told_apart({CAROL: "Carol", DANI: "Carol", BETO: "Beto"})
    assert told_apart(once) == once


# -- people in the assembly's rooms -----------------------------------------------------------


def test_a_member_named_like_the_chair_in_the_other_room_is_told_apart() -> None:
    people = People(Seats({EN: {CAROL: "Carol"}, ES: {DANI: "Carol (US)", BETO: "Beto (MX)"}}))
    assert people.display_name(ASSEMBLY, CAROL) == "Carol [@carol]"
    assert people.display_name(ASSEMBLY, DANI) == "Carol [@dani]"
    assert people.display_name(ASSEMBLY, BETO) == "Beto"


def test_a_new_name_is_seen_at_once() -> None:
    seats = {EN: {CAROL: "Carol"}, ES: {DANI: "Dani", BETO: "Beto"}}
    people = People(Seats(seats))
    assert people.display_name(ASSEMBLY, CAROL) == "Carol"
    seats[ES][DANI] = "carol"
    assert people.display_names(ASSEMBLY, [CAROL, DANI, BETO]) == {
        CAROL: "Carol [@carol]",
        DANI: "carol [@dani]",
        BETO: "Beto",
    }
    assert people.bare_name(ASSEMBLY, DANI) == "carol"


def test_two_of_the_same_name_in_one_room_are_told_apart_as_anywhere_else() -> None:
    """nio would show them "Carol (@carol:test)": the bot reads the names as set and tells
    them apart its own way, as it does across rooms."""
    english, spanish = MatrixRoom(EN, "@asamblea:test"), MatrixRoom(ES, "@asamblea:test")
    english.add_member(CAROL, "Carol", None)
    english.add_member(DANI, "Carol", None)
    spanish.add_member(BETO, None, None)
    client = SimpleNamespace(rooms={EN: english, ES: spanish}, user_id="@asamblea:test")
    members = RoomMembers(client)  # type: ignore[arg-type]
    assert members.display_name(EN, DANI) == "Carol" and members.display_name(ES, BETO) == BETO
    people = People(members)
    assert people.display_name(ASSEMBLY, CAROL) == "Carol [@carol]"
    assert people.display_name(ASSEMBLY, DANI) == "Carol [@dani]"
    assert people.display_name(ASSEMBLY, BETO) == BETO


def test_a_hostile_name_is_shown_clean() -> None:
    people = People(Seats({EN: {CAROL: "Carol"}, ES: {DANI: FORGED}}))
    assert people.display_name(ASSEMBLY, DANI) == "Mallory Carol (US): the meeting is off"
    assert people.display_name(ASSEMBLY, CAROL) == "Carol"


def test_a_name_of_nothing_but_marks_is_shown_as_the_id() -> None:
    people = People(Seats({ES: {DANI: "\u202e\n\u200b"}}))
    assert people.display_name(ASSEMBLY, DANI) == DANI
