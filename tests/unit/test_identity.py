from datetime import date

import pytest

from lms.domain.identity import (
    InvalidIdNumber,
    id_check_character,
    mask_id_number,
    mask_mobile,
    mask_name,
    normalise_email,
    normalise_mobile,
    validate_id_number,
)

# GB 11643-1999's own example number, and others built with its algorithm.
VALID = "11010519491231002X"


def test_check_character_matches_the_standard_example():
    assert id_check_character("11010519491231002") == "X"


@pytest.mark.parametrize("raw", [VALID, VALID.lower(), " 110105 19491231 002x ",
                                 "１１０１０５１９４９１２３１００２Ｘ"])
def test_valid_id_number_is_normalised(raw):
    assert validate_id_number(raw, today=date(2026, 11, 24)) == VALID


@pytest.mark.parametrize(("raw", "code"), [
    ("110105194912310021", "checksum"),
    ("11010519491231002", "shape"),
    ("1101051949123100211", "shape"),
    ("11010519491231002Y", "shape"),
    ("110105194902300020", "birth_date"),  # 30 February
    ("110105189901010011", "birth_date"),  # before 1900
])
def test_invalid_id_number_names_the_reason(raw, code):
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(raw, today=date(2026, 11, 24))
    assert err.value.code == code


def test_id_number_born_in_the_future_is_rejected():
    number = "110105203001010010"
    number = number[:17] + id_check_character(number[:17])
    with pytest.raises(InvalidIdNumber):
        validate_id_number(number, today=date(2026, 11, 24))


def test_email_normalisation_folds_case_and_full_width():
    assert normalise_email("  Ａｌｉｃｅ@Example.COM ") == "alice@example.com"


def test_masks_hide_the_middle():
    assert mask_id_number("110105194912310021") == "1101**********0021"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"
    assert mask_mobile("13800138000") == "138****8000"


@pytest.mark.parametrize("raw", ["13800138000", "+86 138-0013-8000", "0086 13800138000"])
def test_mobile_numbers_are_normalised(raw):
    assert normalise_mobile(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "phone"])
def test_bad_mobile_numbers_are_rejected(raw):
    with pytest.raises(ValueError):
        normalise_mobile(raw)
