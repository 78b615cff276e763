import pytest

from models.languages import fold, read_data_csv, shipped_spellings, unambiguous_aliases
from models.reference import language_catalogue


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("K'iche'", "quc"),
        ("Kiche", "quc"),
        ("Quiché", "quc"),
        ("K’iche’", "quc"),
        ("KICHE", "quc"),
        ("Q'anjob'al", "kjb"),
        ("Kanjobal", "kjb"),
        ("Q'eqchi'", "kek"),
        ("Akateko", "knj"),
        ("Mam", "mam"),
        ("Mam (Guatemala)", "mam"),
        ("Haitian Creole", "hat"),
        ("Kreyòl", "hat"),
        ("Español", "spa"),
        ("spanish", "spa"),
        ("Português", "por"),
        ("Arabic", "ara"),
        ("Punjabi", "pan"),
        ("Garífuna", "cab"),
        ("  Popti'  ", "jac"),
    ],
)
def test_spellings_people_write_fold_to_one_language(session, written, code):
    assert language_catalogue(session).resolve(written) == code


def test_indigenous_languages_are_never_folded_into_spanish(session):
    catalogue = language_catalogue(session)
    mayan = ["K'iche'", "Mam", "Q'eqchi'", "Q'anjob'al", "Kaqchikel", "Ixil", "Chuj", "Akateko"]
    codes = {catalogue.resolve(name) for name in mayan}
    assert None not in codes and "spa" not in codes and len(codes) == len(mayan)


def test_unknown_language_is_not_guessed_but_suggested(session):
    catalogue = language_catalogue(session)
    assert catalogue.resolve("Mamm") is None
    assert catalogue.suggest("Mamm") == "Mam"
    assert catalogue.suggest("Kichee") == "K'iche'"
    assert catalogue.resolve("Klingonese") is None


def test_fold_ignores_case_accents_apostrophes_and_hyphens():
    assert fold("K’iche’") == fold("Kiche") == fold("KʼICHEʼ") == "kiche"
    assert fold("Jakalteko-Popti'") == "jakalteko popti"


def test_a_spelling_shared_by_two_languages_resolves_to_neither():
    aliases = unambiguous_aliases([("Bari", "mot"), ("Bari", "bfa"), ("Mam", "mam")])
    assert "bari" not in aliases and aliases["mam"] == ("Mam", "mam")


def test_every_shipped_alias_resolves_to_its_own_language():
    aliases = unambiguous_aliases(shipped_spellings())
    for row in read_data_csv("language_aliases.csv") + [
        {"code": r["code"], "spelling": r["display_name"]} for r in read_data_csv("languages.csv")
    ]:
        assert aliases[fold(row["spelling"])][1] == row["code"], row
