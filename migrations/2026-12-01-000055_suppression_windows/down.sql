DROP TABLE suppression_windows;
