"""What a link in an entry is for, judged from its label first and its URL second.

Curators label secondary links with a short word ("paper", "pytorch", "blog");
a long label is a title, whatever words it contains.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..errors import InvalidArxivId
from ..ids import ArxivId, parse_arxiv_url

_PAPER_LABELS = frozenset("paper papers pdf abs abstract arxiv preprint openreview 论文 原文 全文".split())
_CODE_WORDS = frozenset(
    """
    code codes github gitlab implementation official pytorch torch tensorflow tensorflow2 tf
    keras caffe caffe2 mxnet gluon theano chainer darknet detectron detectron2 mmdetection
    jax flax paddle paddlepaddle tvm ncnn tensorrt tensorrt3 tensorrt4 onnx cuda matlab lua
    cpp 代码 源码 复现代码合集
    """.split()
)
# A link to another paper that continues this one: not the entry's own paper.
_RELATED = re.compile(r"^(?:extension|extended|journal|follow-?up|sequel|续作|扩展|期刊版)\w*$")
_NOTES_WORDS = frozenset("blog blogs note notes 笔记 中文笔记 解读 知乎 阅读 讨论 一些讨论 博客 tweet".split())
_CODE_HOSTS = frozenset({"github.com", "www.github.com", "gitlab.com", "bitbucket.org", "gitee.com"})
_NOTES_HOSTS = frozenset(
    {
        "zhuanlan.zhihu.com",
        "www.zhihu.com",
        "blog.csdn.net",
        "www.jianshu.com",
        "www.cnblogs.com",
        "medium.com",
        "mp.weixin.qq.com",
    }
)
# Sites that name an arXiv paper by its ID in the path, beside arXiv itself.
_ID_IN_PATH = {
    "ar5iv.org": re.compile(r"^/(?:abs|html)/(?P<id>.+?)/?$"),
    "ar5iv.labs.arxiv.org": re.compile(r"^/html/(?P<id>.+?)/?$"),
    "huggingface.co": re.compile(r"^/papers/(?P<id>\d{4}\.\d{4,5}(?:v\d+)?)/?$", re.ASCII),
    "www.alphaxiv.org": re.compile(r"^/abs/(?P<id>.+?)/?$"),
}
_WORD = re.compile(r"[^\W_]+")
_MAX_LABEL_WORDS = 3


def label_role(label: str) -> str | None:
    """'paper', 'code', 'notes' or 'related' (another paper, e.g. an extension) when a short label says so."""
    text = label.casefold().strip(" []()（）:：")
    words = _WORD.findall(text)
    if not words or len(words) > _MAX_LABEL_WORDS or ":" in text or "with code" in text:
        return None
    if text.startswith("arxiv") or text in _PAPER_LABELS:
        return "paper"
    if any(word in _CODE_WORDS for word in words) or any(word.endswith("代码") for word in words):
        return "code"
    if any(word in _NOTES_WORDS for word in words):
        return "notes"
    if _RELATED.match(words[0]):
        return "related"
    return None


def link_role(label: str, url: str, arxiv: ArxivId | None) -> str:
    by_label = label_role(label)
    if by_label:
        return by_label
    host = host_name(url)
    if arxiv is not None:
        return "paper"
    if host in _CODE_HOSTS:
        return "code"
    if host in _NOTES_HOSTS:
        return "notes"
    return "other"


def is_code_host(url: str) -> bool:
    return host_name(url) in _CODE_HOSTS


def link_arxiv_id(url: str) -> ArxivId | None:
    """The arXiv paper a link names, or None; never raises."""
    try:
        found = parse_arxiv_url(url)
        if found is not None:
            return found
        return _from_other_host(url)
    except InvalidArxivId:
        return None


def host_name(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def _from_other_host(url: str) -> ArxivId | None:
    host = host_name(url)
    if host.endswith(".arxiv.org"):
        # A mistyped mirror ("cv.arxiv.org") still names the paper in its path.
        return parse_arxiv_url(_with_host(url, "arxiv.org"))
    pattern = _ID_IN_PATH.get(host)
    if pattern is None:
        return None
    match = pattern.match(urlsplit(url.strip()).path)
    return parse_arxiv_url("https://arxiv.org/abs/" + match.group("id")) if match else None


def _with_host(url: str, host: str) -> str:
    parts = urlsplit(url.strip())
    return parts._replace(netloc=host).geturl()
