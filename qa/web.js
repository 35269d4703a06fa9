() => {
  const selectSources = () => {
    const tab = document.querySelector("#tab-sources-button")
      || [...document.querySelectorAll("[role=tab]")].find((b) => b.getAttribute("aria-controls") === "tab-sources");
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
  };

  const mark = (card) => {
    document.querySelectorAll(".qa-source.qa-cited").forEach((c) => c.classList.remove("qa-cited"));
    card.classList.add("qa-cited");
    card.scrollIntoView({ block: "center" });
  };

  // A [n] of an earlier answer asks the server for that answer's sources, then marks the card once it is drawn.
  const openCard = (id) => {
    selectSources();
    const card = document.getElementById(id);
    if (card) return mark(card);
    const box = document.querySelector("#cited-turn textarea, #cited-turn input");
    if (!box) return;
    box.value = `${id.split("-")[1]}:${Date.now()}`;  // a new value each time, so asking again is a change
    box.dispatchEvent(new Event("input", { bubbles: true }));
    const started = Date.now();
    const wait = setInterval(() => {
      const drawn = document.getElementById(id);
      if (drawn || Date.now() - started > 15000) clearInterval(wait);
      if (drawn) mark(drawn);
    }, 100);
  };

  const closeLightbox = () => document.querySelectorAll(".qa-lightbox, .qa-lightbox-close").forEach((e) => e.remove());

  // The page at full size above everything, scrolled so that the first cited line is in the middle.
  const openPage = (figure) => {
    const sheet = figure.querySelector(".qa-page-sheet");
    const image = sheet && sheet.querySelector("img");
    if (!image) return;
    closeLightbox();
    const box = document.createElement("div");
    box.className = "qa-lightbox";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", image.alt);
    const copy = sheet.cloneNode(true);
    copy.removeAttribute("style");
    copy.className = "qa-lightbox-sheet";
    copy.style.width = Math.round((image.naturalWidth || 1600) * 2 / 3) + "px";
    box.appendChild(copy);
    const close = document.createElement("button");
    close.className = "qa-lightbox-close";
    close.textContent = "×";
    close.setAttribute("aria-label", "Close");
    box.addEventListener("click", closeLightbox);
    close.addEventListener("click", closeLightbox);
    document.body.append(box, close);
    const first = copy.querySelector(".qa-highlight");
    if (first) first.scrollIntoView({ block: "center", inline: "center" });
  };

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#source-"]');
    if (link) {
      event.preventDefault();
      event.stopPropagation();
      openCard(link.getAttribute("href").slice(1));
      return;
    }
    const figure = event.target.closest && event.target.closest(".qa-page");
    if (figure) openPage(figure);
  }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeLightbox();
    if (event.key === "Enter" && event.target.classList && event.target.classList.contains("qa-page")) {
      openPage(event.target);
    }
  });

  // Each passage box scrolls to its highlight, so the cited text is in view with context above and below.
  const scrollPassages = () => {
    document.querySelectorAll("#sources .qa-passage").forEach((passage) => {
      const marked = passage.querySelector("mark");
      if (!marked || passage.dataset.scrolled) return;
      passage.dataset.scrolled = "1";
      passage.scrollTop = Math.max(0, marked.offsetTop - passage.clientHeight / 3);
    });
  };
  new MutationObserver(scrollPassages).observe(document.body, { childList: true, subtree: true });
}
