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
    // up again when its picture arrives (once, within a minute).
    const watch = new MutationObserver(() => {
      watch.disconnect();
      scroll(target);
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
}
