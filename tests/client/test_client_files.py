"""Reading the FILE of `itg send`: JSON array, JSON Lines and CSV, and their errors, which
name the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from itg.client_files import InputFileError, read_records
from itg.errors import UsageError


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


def refused(path: str, route: str = "people") -> str:
    with pytest.raises(InputFileError) as raised:
        read_records(path, route)
    assert isinstance(raised.value, UsageError)  # exit status 2 in the CLI
    return str(raised.value).removeprefix(str(Path(path).parent) + "/")


# --- CSV -------------------------------------------------------------------------------------


def test_csv_rows_become_records_with_arrays_split_and_empty_cells_left_out(tmp_path):
    path = write(
        tmp_path,
        "people.csv",
        "\ufeffmatricula, nome ,localizacoes,email\n"
        "1001,Ana Souza,Matriz|Filial 2,ana@example.com\n"
        "1002,Bruno,, \n"
        "\n"
        ",,,\n"
        '1003,"Dias, Carla", Matriz | |Filial 3 ,"c@x.com"\n',
    )
    assert read_records(path, "people") == [
        {
            "matricula": "1001",
            "nome": "Ana Souza",
            "localizacoes": ["Matriz", "Filial 2"],
            "email": "ana@example.com",
        },
        {"matricula": "1002", "nome": "Bruno", "email": " "},
        {
            "matricula": "1003",
            "nome": "Dias, Carla",
            "localizacoes": ["Matriz", "Filial 3"],
            "email": "c@x.com",
        },
    ]


def test_array_fields_depend_on_the_route(tmp_path):
    path = write(tmp_path, "data.csv", "email,localizacao,ano\na@x.com,SP|RJ,2024\n")
    assert read_records(path, "users") == [
        {"email": "a@x.com", "localizacao": ["SP", "RJ"], "ano": "2024"}
    ]
    # paymentDate's localizacao is one text value
    assert read_records(path, "paymentDate") == [
        {"email": "a@x.com", "localizacao": "SP|RJ", "ano": "2024"}
    ]


def test_a_semicolon_header_makes_semicolon_csv(tmp_path):
    path = write(tmp_path, "cc.csv", "codigo;nome\r\nCC1;Administrativo, Sede\r\n")
    assert read_records(path, "costcenter") == [{"codigo": "CC1", "nome": "Administrativo, Sede"}]


def test_a_quoted_cell_may_span_lines_and_later_errors_name_the_right_line(tmp_path):
    path = write(
        tmp_path,
        "cc.csv",
        'codigo,nome\nCC1,"Linha 1\nLinha 2"\nCC2,Dois,extra\n',
    )
    assert refused(path, "costcenter") == "cc.csv, line 4: 3 cells, but the header has 2 columns"


def test_a_short_row_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "people.csv", "matricula,nome,cpf\n1001,Ana,1\n\n1002,Bruno\n")
    assert refused(path) == "people.csv, line 4: 2 cells, but the header has 3 columns"


def test_a_malformed_quote_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "people.csv", 'matricula,nome\n1001,Ana\n1002,"Bruno"x\n')
    assert refused(path) == "people.csv, line 3: malformed CSV: ',' expected after '\"'"


def test_an_unclosed_quote_names_the_line_where_its_row_starts(tmp_path):
    path = write(tmp_path, "people.csv", 'matricula,nome\n1001,"Ana\n1002,Bruno\n')
    assert refused(path) == "people.csv, line 2: malformed CSV: unexpected end of data"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("matricula,,nome", "people.csv, line 1: column 2 of the header has no name"),
        ("matricula,nome,matricula", "people.csv, line 1: the header names 'matricula' twice"),
    ],
)
def test_a_bad_header_is_refused(tmp_path, header, message):
    path = write(tmp_path, "people.csv", f"{header}\n1,2,3\n")
    assert refused(path) == message


def test_a_csv_with_only_a_header_has_no_records(tmp_path):
    path = write(tmp_path, "people.csv", "matricula,nome\n\n")
    assert refused(path) == "people.csv: no records in the file"


# --- JSON Lines and JSON ----------------------------------------------------------------------


def test_json_lines_skip_blank_lines(tmp_path):
    path = write(tmp_path, "people.jsonl", '{"matricula": 1}\n\n  \r\n{"localizacoes": ["A"]}\r\n')
    assert read_records(path, "people") == [{"matricula": 1}, {"localizacoes": ["A"]}]


def test_a_malformed_json_line_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "people.ndjson", '{"matricula": 1}\n\n{"matricula": 2,}\n')
    assert refused(path) == (
        "people.ndjson, line 3: invalid JSON: trailing comma is not allowed (column 16)"
    )


def test_a_json_line_that_is_not_an_object_is_refused(tmp_path):
    path = write(tmp_path, "people.jsonl", '{"matricula": 1}\n["matricula", 2]\n')
    assert refused(path) == "people.jsonl, line 2: a record must be a JSON object, not an array"


def test_a_json_array_is_read_whole(tmp_path):
    path = write(tmp_path, "people.json", '[\n  {"matricula": "1"},\n  {"nome": "Ana"}\n]\n')
    assert read_records(path, "people") == [{"matricula": "1"}, {"nome": "Ana"}]


def test_malformed_json_is_refused_with_the_decoders_line(tmp_path):
    path = write(tmp_path, "people.json", '[\n  {"matricula": "1"},\n  {"nome": Ana}\n]\n')
    assert refused(path) == (
        "people.json, line 3: invalid JSON: unexpected character, expected a JSON value (column 12)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"matricula": "1"}',
            "people.json: a JSON file must hold an array of records, not an object",
        ),
        ('[{"a": 1}, 2]', "people.json: element 1 of the array is a number, not an object"),
        ("[]", "people.json: no records in the file"),
    ],
)
def test_a_json_file_must_be_an_array_of_objects(tmp_path, text, message):
    assert refused(write(tmp_path, "people.json", text)) == message


# --- format sniffing and unreadable files ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "records"),
    [
        ('  [{"matricula": "1"}]', [{"matricula": "1"}]),
        ('{"matricula": "1"}\n{"matricula": "2"}\n', [{"matricula": "1"}, {"matricula": "2"}]),
        ("matricula,nome\n1,Ana\n", [{"matricula": "1", "nome": "Ana"}]),
    ],
    ids=["json", "jsonl", "csv"],
)
def test_without_a_known_extension_the_format_is_sniffed(tmp_path, text, records):
    assert read_records(write(tmp_path, "export.txt", text), "people") == records


def test_invalid_utf8_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "people.csv", b"matricula,nome\n1,Ana\n2,Jo\xe3o\n")
    assert refused(path) == "people.csv, line 3: not UTF-8 text (save it as UTF-8)"


def test_a_missing_file_is_refused(tmp_path):
    assert (
        refused(str(tmp_path / "nope.csv"))
        == "nope.csv: cannot read the file: No such file or directory"
    )
