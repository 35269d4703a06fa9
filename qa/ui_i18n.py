"""The app's strings in Simplified and Traditional Chinese, and the choice of one language from the browser's.

English is qa.ui_text itself; a key here is the name of its constant there.
"""

from __future__ import annotations

from typing import Literal

from qa import ui_text

Locale = Literal["en", "zh-CN", "zh-TW"]
TRADITIONAL_TAGS = ("tw", "hk", "mo", "hant")

ZH_CN: dict[str, str] = {
    "TITLE": "文档问答",
    "INTRO": "# 文档问答\n只根据语料库中的文件回答问题，并注明出处。",
    "PLACEHOLDER": (
        "### 就你的文档提一个问题\n"
        "回答会引用文档，并以 **[n]** 标出每段引文；点击标记即可查看来源。"
        "追问会沿用上一轮的内容。"
    ),
    "QUESTION_PLACEHOLDER": "输入问题后按 Enter",
    "ASK": "提问",
    "FAILED": "出了点问题；详情请看服务器日志。",
    "NEW_CHAT": "新对话",
    "EXPORT": "导出",
    "EXPORT_TITLE": "与文档的对话",
    "SETTINGS": "设置",
    "PASSAGES_K": "读取的段落数 (k)",
    "ANSWER_MODE": "回答方式",
    "MODE_EXTRACTIVE": "摘录：引用文档原文",
    "MODE_LLM": "LLM：根据段落撰写回答",
    "TAB_SOURCES": "来源",
    "TAB_INDEX": "索引",
    "TAB_UPLOAD": "添加文档",
    "SOURCES_EMPTY": "最新回答的来源会显示在这里。",
    "SOURCES_SEARCHING": "正在搜索文档…",
    "SOURCES_TITLE": "来源",
    "CLOSEST_TITLE": "最接近的段落（未找到答案）",
    "WHY": "原因：{reason}",
    "REFUSED": "语料库中没有涉及这个问题的内容。",
    "CLOSEST_ARE": "最接近的段落是 {markers}。",
    "CARD_LINE": "第 {line} 行",
    "CARD_LINES": "第 {start}–{end} 行",
    "CARD_PAGE": "，第 {page} 页",
    "UNSUPPORTED": "段落中找不到依据：{sentence}",
    "PAGE_CAPTION": "第 {page} 页，引用为 {numbers}；点击可查看原尺寸",
    "PAGE_OPEN": "以原尺寸打开此页",
    "PAGE_ABOVE": "第 {page} 页已在上方来源 [{n}] 中显示。",
    "PAGE_REMOVED": "无法显示第 {page} 页：建立索引后，该文件已从语料库中删除。",
    "PAGE_CHANGED": "未显示第 {page} 页：建立索引后，该文件已被修改；请重建索引后查看。",
    "PAGE_UNREADABLE": "无法从此文件绘制第 {page} 页。",
    "REBUILD": "重建索引",
    "DOCUMENTS_TITLE": "### 文档",
    "COLUMN_NAME": "名称",
    "COLUMN_TYPE": "类型",
    "COLUMN_PAGES": "页数",
    "COLUMN_CHUNKS": "文本块",
    "COLUMN_INDEXED": "索引时间 (UTC)",
    "NO_DOCUMENTS": "尚未索引任何文档。",
    "SKIPPED_TITLE": "**已跳过的文件**",
    "SKIPPED_LINE": "- {source}：{reason}",
    "PARTLY_LINE": "- {source}（部分索引）：{reason}",
    "REMOVE_CHOICE": "要删除的文档",
    "REMOVE": "从语料库删除…",
    "REMOVE_CONFIRM": "要从语料库文件夹和索引中删除 {source} 吗？文件将被删除。",
    "REMOVE_YES": "是，删除",
    "REMOVE_NO": "取消",
    "REMOVE_PICK": "请先选择要删除的文档。",
    "REMOVED": "已从语料库删除 **{source}**。{then}",
    "REMOVED_WATCHING": "索引会在几秒内将其移除。",
    "UPLOAD_LABEL": "文件（{types}；每个最大 {size}）",
    "OVERWRITE": "覆盖同名文件",
    "ADD": "添加到语料库",
    "BUILD_UP_TO_DATE": "索引已是最新。",
    "BUILD_UPDATED": "索引已在 {seconds:.1f} 秒内更新：新增 {added} 个、修改 {changed} 个、删除 {removed} 个文件。{chunks}",
    "CHUNKS_IN_INDEX": "索引中共有 {total} 个文本块：{parts}。",
    "CHUNKS_EMBEDDED": "本次嵌入 {count} 个",
    "CHUNKS_RESUMED": "{count} 个取自中断的构建",
    "CHUNKS_REUSED": "{count} 个沿用自已编辑或重命名文件的旧版本",
    "CHUNKS_REPEATED": "{count} 个与其他文本块内容相同，只嵌入一次",
    "CHUNKS_KEPT": "{count} 个来自未改动的文件",
    "NO_INDEX": "还没有索引。请打开 **索引** 标签页并点击 **重建索引**（或运行 `qa index`）。",
    "NO_INDEX_WATCHING": "还没有索引；正在根据语料库建立。请稍后再问。",
    "INDEX_UNUSABLE": "{problem}。请在索引标签页点击 **重建索引**。",
    "PROGRESS_READING": "正在读取语料库",
    "PROGRESS_OCR": "正在 OCR {source}",
    "PROGRESS_RAY": "正在 Ray 上嵌入（{chunks} 个文本块）",
    "PROGRESS_EMBEDDING": "正在嵌入（已完成 {done}/{total} 个文件）",
    "PROGRESS_MULTILINGUAL": "正在为其他语言的问题生成向量（{done}/{total} 个文本块）",
    "UNIT_PAGES": "页",
    "UNIT_FILES": "个文件",
    "UNIT_CHUNKS": "个文本块",
    "BUILD_FAILED": "⚠️ 重建失败；详情请看服务器日志。",
    "UPLOAD_NOTHING": "请先选择一个或多个文件。",
    "UPLOAD_FAILED": "⚠️ 上传失败；详情请看服务器日志。",
    "UPLOAD_REFUSED": "- 已拒绝 **{name}**：{reason}",
    "UPLOAD_ADDED": "已添加 {names}。{then}",
    "UPLOAD_WATCHING": "几秒内就会完成索引。",
    "UPLOAD_REBUILD": "请在索引标签页点击 **重建索引** 以便搜索它们。",
    "INFO_SYNC": "与语料库同步",
    "INFO_CHANGED": "构建后语料库有变动",
    "INFO_DOCUMENTS": "文档",
    "INFO_CHUNKS": "文本块",
    "INFO_MODEL": "嵌入模型",
    "INFO_ENCODER": "编码器",
    "INFO_BUILT": "构建时间",
    "INFO_CORPUS": "语料库文件夹",
    "CHANGED_YES": "**是**，请点击重建索引",
    "CHANGED_NO": "否",
    "CHANGED_UNKNOWN": "未知（{problem}）",
    "SYNC_IN_SYNC": "已同步，正在监视变动（检查于 {checked}）",
    "SYNC_UPDATING": "**正在更新：{files} 个文件**…",
    "SYNC_UPDATING_ONE": "**正在更新：{files} 个文件**…",
    "SYNC_ERROR": "**上次错误：**{error}",
    "SYNC_STOPPED": "未在监视",
    "SYNC_STOPPED_ERROR": "（上次错误：{error}）",
    "SYNC_CHECKING": "正在检查语料库…",
}

ZH_TW: dict[str, str] = {
    "TITLE": "文件問答",
    "INTRO": "# 文件問答\n只根據語料庫中的檔案回答問題，並註明出處。",
    "PLACEHOLDER": (
        "### 就你的文件提出問題\n"
        "回答會引用文件，並以 **[n]** 標出每段引文；按一下標記即可查看來源。"
        "追問會沿用上一輪的內容。"
    ),
    "QUESTION_PLACEHOLDER": "輸入問題後按 Enter",
    "ASK": "提問",
    "FAILED": "發生錯誤；詳情請看伺服器記錄。",
    "NEW_CHAT": "新對話",
    "EXPORT": "匯出",
    "EXPORT_TITLE": "與文件的對話",
    "SETTINGS": "設定",
    "PASSAGES_K": "讀取的段落數 (k)",
    "ANSWER_MODE": "回答方式",
    "MODE_EXTRACTIVE": "摘錄：引用文件原文",
    "MODE_LLM": "LLM：根據段落撰寫回答",
    "TAB_SOURCES": "來源",
    "TAB_INDEX": "索引",
    "TAB_UPLOAD": "新增文件",
    "SOURCES_EMPTY": "最新回答的來源會顯示在這裡。",
    "SOURCES_SEARCHING": "正在搜尋文件…",
    "SOURCES_TITLE": "來源",
    "CLOSEST_TITLE": "最接近的段落（找不到答案）",
    "WHY": "原因：{reason}",
    "REFUSED": "語料庫中沒有涉及這個問題的內容。",
    "CLOSEST_ARE": "最接近的段落是 {markers}。",
    "CARD_LINE": "第 {line} 行",
    "CARD_LINES": "第 {start}–{end} 行",
    "CARD_PAGE": "，第 {page} 頁",
    "UNSUPPORTED": "段落中找不到依據：{sentence}",
    "PAGE_CAPTION": "第 {page} 頁，引用為 {numbers}；按一下可查看原尺寸",
    "PAGE_OPEN": "以原尺寸開啟此頁",
    "PAGE_ABOVE": "第 {page} 頁已在上方來源 [{n}] 中顯示。",
    "PAGE_REMOVED": "無法顯示第 {page} 頁：建立索引後，該檔案已從語料庫中刪除。",
    "PAGE_CHANGED": "未顯示第 {page} 頁：建立索引後，該檔案已被修改；請重建索引後查看。",
    "PAGE_UNREADABLE": "無法從此檔案繪製第 {page} 頁。",
    "REBUILD": "重建索引",
    "DOCUMENTS_TITLE": "### 文件",
    "COLUMN_NAME": "名稱",
    "COLUMN_TYPE": "類型",
    "COLUMN_PAGES": "頁數",
    "COLUMN_CHUNKS": "文字區塊",
    "COLUMN_INDEXED": "索引時間 (UTC)",
    "NO_DOCUMENTS": "尚未索引任何文件。",
    "SKIPPED_TITLE": "**已略過的檔案**",
    "SKIPPED_LINE": "- {source}：{reason}",
    "PARTLY_LINE": "- {source}（部分索引）：{reason}",
    "REMOVE_CHOICE": "要移除的文件",
    "REMOVE": "從語料庫移除…",
    "REMOVE_CONFIRM": "要從語料庫資料夾和索引中移除 {source} 嗎？檔案將被刪除。",
    "REMOVE_YES": "是，移除",
    "REMOVE_NO": "取消",
    "REMOVE_PICK": "請先選擇要移除的文件。",
    "REMOVED": "已從語料庫移除 **{source}**。{then}",
    "REMOVED_WATCHING": "索引會在幾秒內將其移除。",
    "UPLOAD_LABEL": "檔案（{types}；每個最大 {size}）",
    "OVERWRITE": "覆寫同名檔案",
    "ADD": "加入語料庫",
    "BUILD_UP_TO_DATE": "索引已是最新。",
    "BUILD_UPDATED": "索引已在 {seconds:.1f} 秒內更新：新增 {added} 個、修改 {changed} 個、移除 {removed} 個檔案。{chunks}",
    "CHUNKS_IN_INDEX": "索引中共有 {total} 個文字區塊：{parts}。",
    "CHUNKS_EMBEDDED": "本次嵌入 {count} 個",
    "CHUNKS_RESUMED": "{count} 個取自中斷的建立過程",
    "CHUNKS_REUSED": "{count} 個沿用自已編輯或重新命名檔案的舊版本",
    "CHUNKS_REPEATED": "{count} 個與其他文字區塊內容相同，只嵌入一次",
    "CHUNKS_KEPT": "{count} 個來自未變更的檔案",
    "NO_INDEX": "還沒有索引。請開啟 **索引** 分頁並按一下 **重建索引**（或執行 `qa index`）。",
    "NO_INDEX_WATCHING": "還沒有索引；正在根據語料庫建立。請稍後再問。",
    "INDEX_UNUSABLE": "{problem}。請在索引分頁按一下 **重建索引**。",
    "PROGRESS_READING": "正在讀取語料庫",
    "PROGRESS_OCR": "正在 OCR {source}",
    "PROGRESS_RAY": "正在 Ray 上嵌入（{chunks} 個文字區塊）",
    "PROGRESS_EMBEDDING": "正在嵌入（已完成 {done}/{total} 個檔案）",
    "PROGRESS_MULTILINGUAL": "正在為其他語言的問題產生向量（{done}/{total} 個文字區塊）",
    "UNIT_PAGES": "頁",
    "UNIT_FILES": "個檔案",
    "UNIT_CHUNKS": "個文字區塊",
    "BUILD_FAILED": "⚠️ 重建失敗；詳情請看伺服器記錄。",
    "UPLOAD_NOTHING": "請先選擇一個或多個檔案。",
    "UPLOAD_FAILED": "⚠️ 上載失敗；詳情請看伺服器記錄。",
    "UPLOAD_REFUSED": "- 已拒絕 **{name}**：{reason}",
    "UPLOAD_ADDED": "已加入 {names}。{then}",
    "UPLOAD_WATCHING": "幾秒內就會完成索引。",
    "UPLOAD_REBUILD": "請在索引分頁按一下 **重建索引** 以便搜尋它們。",
    "INFO_SYNC": "與語料庫同步",
    "INFO_CHANGED": "建立後語料庫有變更",
    "INFO_DOCUMENTS": "文件",
    "INFO_CHUNKS": "文字區塊",
    "INFO_MODEL": "嵌入模型",
    "INFO_ENCODER": "編碼器",
    "INFO_BUILT": "建立時間",
    "INFO_CORPUS": "語料庫資料夾",
    "CHANGED_YES": "**是**，請按一下重建索引",
    "CHANGED_NO": "否",
    "CHANGED_UNKNOWN": "未知（{problem}）",
    "SYNC_IN_SYNC": "已同步，正在監視變更（檢查於 {checked}）",
    "SYNC_UPDATING": "**正在更新：{files} 個檔案**…",
    "SYNC_UPDATING_ONE": "**正在更新：{files} 個檔案**…",
    "SYNC_ERROR": "**上次錯誤：**{error}",
    "SYNC_STOPPED": "未在監視",
    "SYNC_STOPPED_ERROR": "（上次錯誤：{error}）",
    "SYNC_CHECKING": "正在檢查語料庫…",
}

TABLES: dict[Locale, dict[str, str]] = {"zh-CN": ZH_CN, "zh-TW": ZH_TW}


def english() -> dict[str, str]:
    """Every string of qa.ui_text by the name of its constant."""
    return {name: value for name, value in vars(ui_text).items() if name.isupper() and isinstance(value, str)}


def locale_of(accept_language: str | None) -> Locale:
    """The app's language for a browser's first language (an Accept-Language header): Traditional Chinese for
    Taiwan, Hong Kong, Macau and zh-Hant, Simplified for any other Chinese, English for anything else."""
    first = (accept_language or "").split(",")[0].split(";")[0].strip().lower().replace("_", "-")
    tags = first.split("-")
    if tags[0] != "zh":
        return "en"
    return "zh-TW" if any(tag in TRADITIONAL_TAGS for tag in tags[1:]) else "zh-CN"


class Text:
    """qa.ui_text's strings in one language: Text("zh-TW").ASK; a string not translated is English."""

    def __init__(self, locale: Locale = "en") -> None:
        self.locale = locale
        self._table = TABLES.get(locale, {})

    def __getattr__(self, name: str) -> str:
        english: str = getattr(ui_text, name)
        return self._table.get(name, english)


ENGLISH = Text()


def i18n() -> dict[str, dict[str, str]]:
    """The tables for gr.I18n: English and both Chinese, the Chinese ones also under the other tags of their script."""
    tables = {"en": english(), "zh-CN": ZH_CN, "zh-TW": ZH_TW}
    for tag in ("zh-SG", "zh-Hans"):
        tables[tag] = ZH_CN
    for tag in ("zh-HK", "zh-MO", "zh-Hant"):
        tables[tag] = ZH_TW
    return tables
