"""One module per tab of the app: its layout and its event functions (thin: values in, one engine call,
component values out). studio.tabs.common holds what they share."""
