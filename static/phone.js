() => {
  // NST Studio on a phone (issue 14): when the tabs are stacked into one column (phone.css), a tap that starts
  // a run brings that run's result into view, so the visitor sees it working and then the picture, instead of
  // nothing happening above the fold. Side by side (desktop), nothing moves.
  const stacked = () => {
    const row = document.querySelector(".nst-tab-row");
    return row !== null && getComputedStyle(row).flexDirection === "column"; // the breakpoint lives in the CSS
  };
  const still = window.matchMedia("(prefers-reduced-motion: reduce)");
  const runs = [
    ["#fast-run, #fast-gallery .thumbnail-item, #fast-layout .tr-body", "fast-result"], // button, painting, example
    ["#quality-run", "quality-result"],
    ["#compare-run", "compare-slider"],
  ];
  const scroll = (target) =>
    requestAnimationFrame(() =>
      target.scrollIntoView({ block: "start", behavior: still.matches ? "auto" : "smooth" }),
    );
  const bring = (id) => {
    const target = document.getElementById(id);
    if (target === null || !stacked()) return;
    scroll(target);
    // The upload widget can pull the page back to itself when it finishes, after this tap: bring the result
    // up again when its new picture has arrived and loaded (once, within a minute). Other changes inside the
    // result (its progress overlay) come first and must not use up that one scroll.
    const picture = () => target.querySelector("img")?.getAttribute("src") ?? null;
    const before = picture();
    const watch = new MutationObserver(() => {
      const img = target.querySelector("img");
      if (img === null || picture() === null || picture() === before) return;
      watch.disconnect();
      if (img.complete) scroll(target);
      else img.addEventListener("load", () => scroll(target), { once: true });
    });
    watch.observe(target, { childList: true, subtree: true, attributes: true, attributeFilter: ["src"] });
    setTimeout(() => watch.disconnect(), 60000);
  };
  const inside = (event, selector) => event.target instanceof Element && event.target.closest(selector);
  document.addEventListener(
    "click",
    (event) => {
      const run = runs.find(([selector]) => inside(event, selector));
      if (run) bring(run[1]);
    },
    true,
  );
  document.addEventListener(
    "change", // Fast runs as soon as a photo is chosen
    (event) => {
      if (inside(event, "#fast-photo")) bring("fast-result");
    },
    true,
  );
  // Gradio runs this after the page is built, so a very quick first tap can come before it: say when it is
  // listening (the browser tests wait for this before they touch the page).
  document.documentElement.dataset.nstReady = "true";
}
