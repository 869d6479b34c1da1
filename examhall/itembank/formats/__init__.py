"""Item-bank interchange formats (GIFT, Moodle XML, IMS QTI 2.1/3.0, Excel).

Each format module reads bytes into the neutral ``interchange`` model and writes
it back; nothing here imports Django models, so the parsers can be tested and
fuzzed on their own. ``examhall.itembank.services`` maps the neutral items to
the bank (issue 3).
"""
