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
  const bring = (id) => {
    const target = document.getElementById(id);
    if (target === null || !stacked()) return;
    requestAnimationFrame(() =>
      target.scrollIntoView({ block: "start", behavior: still.matches ? "auto" : "smooth" }),
    );
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
