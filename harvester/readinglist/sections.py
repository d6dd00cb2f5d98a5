"""Which headings open sections of papers, and which open references, tools, contents...

A heading is judged by its name with any numbering taken off ("A 参考资料" ->
"参考资料"). Only whole names count, so "Awesome Pruning Resources" stays a
paper section while "Resources" does not.
"""

from __future__ import annotations

import re

PAPERS = "papers"
NOT_PAPERS = "not-papers"
# A table of contents: not papers itself, but the headings after it are not its
# children, whatever their level says.
CONTENTS = "contents"

_CONTENTS_NAMES = frozenset({"contents", "table of contents", "toc", "目录", "内容"})
_NOT_PAPER_NAMES = frozenset(
    name.strip()
    for name in """
    reference|references|appendix|appendices|tool|tools|library|libraries|framework|frameworks|
    contributing|contribute|how to contribute|contribution|contributions|contributors|
    license|licence|licensing|related repo|related repos|related repositories|related lists|
    related projects|resources|other resources|
    article|articles|blog|blogs|blog posts|videos|talk|talks|tutorial|tutorials|
    training & tutorials|course|courses|book|books|acknowledgement|acknowledgements|
    acknowledgment|acknowledgments|citation|cite|star history|sponsors|community|
    参考|参考资料|参考文献|附录|资源|工具|书籍|课程|代码|研究员|报告|致谢|相关资料|博客|教程
    """.split("|")
)
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Za-z][.)]?|[IVXLC]+\.)\s+")
_EDGES = " \t:：.-–—#*_`'\"!?()[]（）【】"
_LEADING_SYMBOLS = re.compile(r"^[^\w]+")


def heading_kind(heading: str) -> str:
    name = _name(heading)
    if name in _CONTENTS_NAMES:
        return CONTENTS
    if name in _NOT_PAPER_NAMES:
        return NOT_PAPERS
    return PAPERS


def _name(heading: str) -> str:
    text = _LEADING_SYMBOLS.sub("", " ".join(heading.split()))
    text = _NUMBERING.sub("", text, count=1)
    return text.strip(_EDGES).casefold()
