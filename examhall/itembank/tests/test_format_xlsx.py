"""Excel item sheets: template, row report, every question type, refusals, round trip."""

import dataclasses
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from examhall.itembank.formats import xlsx
from examhall.itembank.formats.interchange import Blank, FormatError, Item, Option
from examhall.itembank.formats.xlsx import items_template, parse_items_xlsx, write_items_xlsx

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "分值", "难度", "知识点",
          "解析", "编号", "所属案例"]


def _row(**cells: object) -> list[object]:
    return [cells.get(column) for column in HEADER]


def _workbook(*rows: list[object], header: list[object] | None = None,
              above: list[list[object]] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in above:
        sheet.append(line)
    sheet.append(HEADER if header is None else header)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _single(stem: str = "外购电力的排放属于？", answer: object = "B", **cells: object) -> list:
    return _row(题型="单选题", 题干=stem, 选项A="范围一", 选项B="范围二", 选项C="范围三",
                答案=answer, **cells)


def _problems(result: xlsx.XlsxParseResult) -> set[tuple[int, str, str]]:
    return {(row.row, problem.column, problem.code)
            for row in result.rows for problem in row.problems}


def _without_location(item: Item) -> Item:
    return dataclasses.replace(item, location="",
                               sub_items=[_without_location(sub) for sub in item.sub_items])


# --- the template


def test_template_parses_without_problems_into_one_item_of_each_kind():
    # given / when
    result = parse_items_xlsx(items_template())

    # then
    assert _problems(result) == set()
    assert [item.kind for item in result.items] == [
        "single", "multiple", "true_false", "fill_blank", "essay", "case"]
    case = result.items[-1]
    assert [sub.kind for sub in case.sub_items] == ["fill_blank", "single"]
    fill = result.items[3]
    assert fill.stem.count("{{") == len(fill.blanks) == 2
    assert all(len(blank.answers) == 2 for blank in fill.blanks)


def test_template_notes_sheet_explains_every_column():
    # given
    workbook = openpyxl.load_workbook(io.BytesIO(items_template()))

    # when
    explained = {row[0] for row in workbook["说明"].iter_rows(min_row=2, values_only=True)}
    header = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True))

    # then
    assert workbook.sheetnames == ["题目", "说明"]
    assert list(header) == [column.label for column in xlsx.COLUMNS]
    assert {column.label for column in xlsx.COLUMNS} <= explained


def test_template_round_trips_exactly():
    # given
    items = parse_items_xlsx(items_template()).items

    # when
    again = parse_items_xlsx(write_items_xlsx(items)).items

    # then
    assert again == items


# --- round trip


ROUND_TRIP_ITEMS = [
    Item("single", "=外购电力排放属于？", options=[Option("A", "范围一"),
                                          Option("B", "范围二", correct=True)],
         score=Decimal("1.5"), difficulty=2, tags=["排放范围", "GHG Protocol"],
         explanation="见标准第4章。", identifier="001"),
    Item("multiple", "附件A的温室气体有？",
         options=[Option(key, text, correct=key != "E") for key, text in
                  zip("ABCDEFGH", ["CO2", "CH4", "N2O", "SF6", "CO", "HFCs", "PFCs", "NF3"],
                      strict=True)]),
    Item("true_false", "生物质燃烧CO2计入范围一。",
         options=[Option("T", "正确"), Option("F", "错误", correct=True)], score=Decimal("1")),
    Item("true_false", "碳中和仅针对二氧化碳。",
         options=[Option("T", "正确", correct=True), Option("F", "错误")]),
    Item("fill_blank", "达峰{{1}}年，中和{{2}}年，GWP为{{3}}，区号{{4}}。",
         blanks=[Blank("1", ["2030", "2030年"]),
                 Blank("2", ["2060"], numeric=True),
                 Blank("3", ["28", "27.9"], numeric=True, tolerance=Decimal("0.5")),
                 Blank("4", ["0731"])],
         score=Decimal("4"), difficulty=5),
    Item("essay", "简述排放因子法。", score=Decimal("10"),
         explanation="参考答案：活动数据 × 排放因子\n另见指南。"),
    Item("case", "某电厂消耗原煤50万吨。", identifier="C1", tags=["燃烧排放"], sub_items=[
        Item("single", "换算系数？", options=[Option("A", "12/44"),
                                          Option("B", "44/12", correct=True)], score=Decimal("2")),
        Item("essay", "说明核算边界。", identifier="C1-2"),
    ]),
]


def test_round_trip_keeps_every_kind():
    # given
    items = ROUND_TRIP_ITEMS

    # when
    result = parse_items_xlsx(write_items_xlsx(items))

    # then
    assert _problems(result) == set()
    assert [_without_location(item) for item in result.items] == items


def test_export_writes_text_starting_with_equals_as_text_not_formula():
    # given
    data = write_items_xlsx(ROUND_TRIP_ITEMS[:1])

    # when
    cell = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]["B2"]

    # then
    assert (cell.data_type, cell.value) == ("s", "=外购电力排放属于？")


def test_export_names_a_case_without_identifier_for_its_sub_questions():
    # given
    case = Item("case", "材料", sub_items=[Item("essay", "问题一")])

    # when
    items = parse_items_xlsx(write_items_xlsx([case])).items

    # then
    assert items[0].identifier == "案例1"
    assert [sub.stem for sub in items[0].sub_items] == ["问题一"]


def test_export_refuses_more_than_eight_options():
    # given
    item = Item("single", "太多选项", options=[Option(str(n), f"选项{n}") for n in range(9)])

    # when
    with pytest.raises(FormatError) as refused:
        write_items_xlsx([item])

    # then
    assert refused.value.code == "xlsx_too_many_options"


# --- the row report


def test_bad_rows_are_reported_with_row_and_column_while_good_rows_parse():
    # given
    data = _workbook(
        _single(编号="G1"),                                                        # 2
        _row(题型="单选题", 选项A="是", 选项B="否", 答案="A"),                     # 3
        _row(题型="选择题", 题干="未知题型"),                                      # 4
        _single(answer="E"),                                                       # 5
        _single(answer="AB"),                                                      # 6
        _row(题型="多选题", 题干="多选只有一个答案", 选项A="甲", 选项B="乙", 答案="A"),  # 7
        _row(题型="判断题", 题干="判断", 答案="也许"),                             # 8
        _row(题型="填空题", 题干="两个空____和____", 答案="一"),                   # 9
        _single(分值="两分"),                                                      # 10
        _single(分值=-1),                                                          # 11
        _single(难度=6),                                                           # 12
        _row(题型="简答题", 题干="子题", 所属案例="NOPE"),                         # 13
        _row(题型="案例题", 题干="没有子题的案例", 编号="C9"),                      # 14
        _single(编号="G1"),                                                        # 15
        _row(题型="单选题", 题干="选项缺C", 选项A="甲", 选项B="乙", 选项D="丁", 答案="A"),  # 16
        _row(题干="没有题型"),                                                     # 17
        _row(题型="单选题", 题干="没有答案", 选项A="甲", 选项B="乙"),              # 18
        _row(题型="简答题", 题干="好的简答题", 编号="G2"),                         # 19
    )

    # when
    result = parse_items_xlsx(data)

    # then
    assert _problems(result) == {
        (3, "题干", "required"),
        (4, "题型", "unknown_type"),
        (5, "答案", "answer_not_an_option"),
        (6, "答案", "single_many_answers"),
        (7, "答案", "multiple_too_few_answers"),
        (8, "答案", "true_false_answer_unknown"),
        (9, "答案", "blank_count_mismatch"),
        (10, "分值", "score_invalid"),
        (11, "分值", "score_invalid"),
        (12, "难度", "difficulty_invalid"),
        (13, "所属案例", "case_not_found"),
        (14, "编号", "case_without_sub_questions"),
        (15, "编号", "duplicate_identifier"),
        (16, "选项C", "option_gap"),
        (17, "题型", "required"),
        (18, "答案", "required"),
    }
    assert [item.identifier for item in result.items] == ["G1", "G2"]
    assert [item.location for item in result.items] == ["第 2 行", "第 19 行"]
    assert [row.status for row in result.rows].count("ok") == 2


@pytest.mark.parametrize(("row", "column", "code"), [
    (_row(题型="单选题", 题干="只有一个选项", 选项A="甲", 答案="A"), "选项B", "too_few_options"),
    (_row(题型="填空题", 题干="____、____和____", 答案="一；；三"), "答案", "blank_answer_empty"),
    (_row(题型="案例题", 题干="材料", 编号="C1", 答案="A"), "答案", "case_answer"),
    (_row(题型="填空题", 题干="没有空", 选项A="甲", 答案="一"), "选项A", "options_not_allowed"),
])
def test_more_bad_rows(row, column, code):
    # given
    data = _workbook(row, _single(所属案例="C1"))

    # when
    result = parse_items_xlsx(data)

    # then
    assert (2, column, code) in _problems(result)


def test_row_problem_names_the_column_as_written_in_the_sheet():
    # given
    header = ["type", "stem", "option_a", "option_b", "answer", "score"]
    data = _workbook(["single", "外购电力排放属于？", "范围一", "范围二", "C", 0], header=header)

    # when
    result = parse_items_xlsx(data)

    # then
    assert _problems(result) == {(2, "answer", "answer_not_an_option"),
                                 (2, "score", "score_invalid")}


def test_blank_count_mismatch_names_both_counts():
    # given
    data = _workbook(_row(题型="填空题", 题干="三个空____、（ ）和()", 答案="一；二"))

    # when
    [problem] = parse_items_xlsx(data).rows[0].problems

    # then
    assert problem.code == "blank_count_mismatch"
    assert "3" in problem.message and "2" in problem.message


def test_problems_are_offered_in_the_interchange_shape():
    # given
    data = _workbook(_single(answer="Z", 编号="Q7"))

    # when
    [problem] = parse_items_xlsx(data).problems

    # then
    assert (problem.location, problem.name, problem.status, problem.code) == (
        "第 2 行，答案", "Q7", "error", "answer_not_letters")


def test_empty_rows_are_ignored_and_row_numbers_stay_those_of_the_sheet():
    # given
    data = _workbook([], _single(), [None, "  "], _single(answer="C"),
                     above=[["碳排放管理员题库"], []])

    # when
    result = parse_items_xlsx(data)

    # then
    assert [row.row for row in result.rows] == [5, 7]
    assert [item.correct_keys for item in result.items] == [["B"], ["C"]]


def test_unknown_columns_are_listed_and_english_headers_accepted():
    # given
    header = ["Type", "Stem", "Option A", "Option B", "Answer", "备注"]
    data = _workbook(["single choice", "问题", "甲", "乙", "b", "内部备注"], header=header)

    # when
    result = parse_items_xlsx(data)

    # then
    assert result.ignored_columns == ["备注"]
    assert result.items[0].kind == "single"
    assert result.items[0].correct_keys == ["B"]


# --- values


@pytest.mark.parametrize("answer", ["ACD", "A,C,D", "a、c、d", "Ａ，Ｃ，Ｄ", "A C D"])
def test_multiple_choice_answers_in_the_usual_spellings(answer):
    # given
    data = _workbook(_row(题型="多选题", 题干="哪些是温室气体？", 选项A="CO2", 选项B="CO",
                          选项C="CH4", 选项D="N2O", 答案=answer))

    # when
    [item] = parse_items_xlsx(data).items

    # then
    assert item.correct_keys == ["A", "C", "D"]


@pytest.mark.parametrize(("answer", "expected"), [
    ("正确", "T"), ("错", "F"), ("对", "T"), ("√", "T"), ("×", "F"), ("t", "T"), ("F", "F"),
    (True, "T"), (False, "F"),
])
def test_true_false_answers(answer, expected):
    # given
    data = _workbook(_row(题型="判断题", 题干="范围二属于间接排放。", 答案=answer))

    # when
    [item] = parse_items_xlsx(data).items

    # then
    assert item.correct_keys == [expected]
    assert [(option.key, option.text) for option in item.options] == [("T", "正确"),
                                                                       ("F", "错误")]


def test_true_false_answer_as_the_letter_of_an_option_reading_wrong():
    # given
    data = _workbook(_row(题型="判断", 题干="判断", 选项A="正确", 选项B="错误", 答案="B"))

    # when
    [item] = parse_items_xlsx(data).items

    # then
    assert item.correct_keys == ["F"]


def test_tags_difficulty_and_score_typed_as_numbers():
    # given
    data = _workbook(
        _single(知识点="范围划分；GHG Protocol, 间接排放、范围划分", 难度=3.0, 分值=2.0),
        _single(难度="较难", 分值="1.5分"),
    )

    # when
    first, second = parse_items_xlsx(data).items

    # then
    assert first.tags == ["范围划分", "GHG Protocol", "间接排放"]
    assert (first.difficulty, first.score) == (3, Decimal("2"))
    assert (second.difficulty, second.score, second.tags) == (4, Decimal("1.5"), [])


def test_fill_blank_alternatives_numbers_and_tolerance():
    # given
    data = _workbook(
        _row(题型="填空题", 题干="碳达峰在＿＿年，单位为（　），GWP为____，编码{{x}}。",
             答案='2030|二〇三〇；tCO2e/MWh｜吨二氧化碳当量每兆瓦时；28 ± 0.5；"0731"'),
        _row(题型="填空题", 题干="排放量为____吨。", 答案=45.5),
    )

    # when
    first, second = parse_items_xlsx(data).items

    # then
    assert first.stem == "碳达峰在{{1}}年，单位为{{2}}，GWP为{{3}}，编码{{4}}。"
    assert [(blank.key, blank.answers, blank.numeric, blank.tolerance)
            for blank in first.blanks] == [
        ("1", ["2030", "二〇三〇"], False, 0),
        ("2", ["tCO2e/MWh", "吨二氧化碳当量每兆瓦时"], False, 0),
        ("3", ["28"], True, Decimal("0.5")),
        ("4", ["0731"], False, 0),
    ]
    assert [(blank.answers, blank.numeric) for blank in second.blanks] == [(["45.5"], True)]


def test_fill_blank_with_different_tolerances_in_one_gap_is_an_error():
    # given
    data = _workbook(_row(题型="填空题", 题干="GWP为____", 答案="28±1|27±2"))

    # when
    result = parse_items_xlsx(data)

    # then
    assert _problems(result) == {(2, "答案", "blank_tolerance_mixed")}


def test_options_on_a_type_without_options_are_an_error():
    # given
    data = _workbook(_row(题型="简答题", 题干="简述", 选项A="多余"))

    # when
    result = parse_items_xlsx(data)

    # then
    assert _problems(result) == {(2, "选项A", "options_not_allowed")}


def test_essay_reference_answer_is_kept_at_the_start_of_the_explanation():
    # given
    data = _workbook(_row(题型="简答题", 题干="简述排放因子法。", 答案="活动数据×排放因子",
                          解析="见指南。"))

    # when
    [item] = parse_items_xlsx(data).items

    # then
    assert item.explanation == "参考答案：活动数据×排放因子\n见指南。"


# --- case questions


def test_case_collects_its_sub_questions_wherever_they_stand():
    # given
    data = _workbook(
        _single(stem="子题一", 所属案例="C1"),
        _row(题型="案例题", 题干="某电厂材料", 编号="C1"),
        _single(stem="独立题"),
        _row(题型="填空题", 题干="排放量____万吨", 答案=99, 所属案例="C1"),
    )

    # when
    items = parse_items_xlsx(data).items

    # then
    assert [(item.kind, item.location) for item in items] == [("case", "第 3 行"),
                                                              ("single", "第 4 行")]
    assert [(sub.stem, sub.location) for sub in items[0].sub_items] == [
        ("子题一", "第 2 行"), ("排放量{{1}}万吨", "第 5 行")]


def test_case_is_refused_whole_when_a_sub_question_is_broken():
    # given
    data = _workbook(
        _row(题型="案例题", 题干="材料", 编号="C1"),
        _single(stem="好子题", 所属案例="C1"),
        _single(stem="坏子题", answer="Z", 所属案例="C1"),
    )

    # when
    result = parse_items_xlsx(data)

    # then
    assert result.items == []
    assert _problems(result) == {(2, "所属案例", "case_incomplete"),
                                 (3, "所属案例", "case_incomplete"),
                                 (4, "答案", "answer_not_letters")}


def test_case_rows_need_an_identifier_and_cannot_nest():
    # given
    data = _workbook(
        _row(题型="案例题", 题干="无编号材料"),
        _row(题型="案例题", 题干="材料", 编号="C1"),
        _row(题型="案例题", 题干="嵌套", 编号="C2", 所属案例="C1"),
    )

    # when
    problems = _problems(parse_items_xlsx(data))

    # then
    assert {(2, "编号", "required"), (4, "所属案例", "case_in_case")} <= problems


def test_sub_question_naming_a_row_that_is_not_a_case_is_an_error():
    # given
    data = _workbook(_single(编号="Q1"), _single(stem="子题", 所属案例="Q1"))

    # when
    result = parse_items_xlsx(data)

    # then
    assert _problems(result) == {(3, "所属案例", "case_not_found")}


# --- refusals of the whole file


def _refusal(data: bytes) -> str:
    with pytest.raises(FormatError) as refused:
        parse_items_xlsx(data)
    return refused.value.code


def _zip(**members: bytes) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return output.getvalue()


@pytest.mark.parametrize(("data", "code"), [
    (b"", "xlsx_empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "xlsx_xls"),
    (b"\xef\xbb\xbf\xe9\xa2\x98\xe5\x9e\x8b,\xe9\xa2\x98\xe5\xb9\xb2\n", "xlsx_not_xlsx"),
    (_zip(hello=b"not a workbook"), "xlsx_not_xlsx"),
])
def test_files_that_are_no_workbook_are_refused(data, code):
    assert _refusal(data) == code


def test_workbook_without_any_cell_is_refused_as_empty():
    # given
    output = io.BytesIO()
    openpyxl.Workbook().save(output)

    # when / then
    assert _refusal(output.getvalue()) == "xlsx_empty"


def test_header_without_rows_is_refused_as_empty():
    assert _refusal(_workbook()) == "xlsx_empty"


def test_sheet_without_header_row_is_refused():
    # given
    data = _workbook(["单选题", "问题", "甲", "乙", "A"], header=["第一章", "题目汇总"])

    # when / then
    assert _refusal(data) == "xlsx_no_header"


def test_header_missing_the_stem_column_is_refused():
    assert _refusal(_workbook(["单选题", "A"], header=["题型", "答案"])) == "xlsx_missing_columns"


def test_header_with_a_column_twice_is_refused():
    assert _refusal(_workbook(header=["题型", "题干", "stem"])) == "xlsx_duplicate_column"


def test_too_many_rows_are_refused(monkeypatch):
    # given
    monkeypatch.setattr(xlsx, "MAX_ITEMS", 2)
    data = _workbook(_single(), _single(), _single())

    # when / then
    assert _refusal(data) == "xlsx_too_many_rows"


def test_too_big_file_and_workbook_unpacking_too_big_are_refused(monkeypatch):
    # given
    data = _workbook(_single())
    monkeypatch.setattr(xlsx, "MAX_FILE_BYTES", len(data) - 1)

    # when / then
    assert _refusal(data) == "xlsx_too_big"
    monkeypatch.setattr(xlsx, "MAX_FILE_BYTES", len(data))
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", len(data))
    assert _refusal(data) == "xlsx_too_big"
