import pytest

from services.masking import mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三明", "张*明"),
        ("欧阳小明", "欧**明"),
        ("张三", "张*"),
        ("张", "张"),
        ("  张三明 ", "张*明"),
        ("Li Ming", "L* M**g"),
        ("Zhang", "Z***g"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name_table(name, expected):
    assert mask_name(name) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812345678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("057164812345", "057*****2345"),
        ("64812345", "648*2345"),
        ("6481234", "*****34"),
        ("123", "*23"),
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone_table(phone, expected):
    assert mask_phone(phone) == expected
