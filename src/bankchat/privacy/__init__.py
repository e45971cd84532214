"""The privacy center: what a person has shared, who read it and why, their data as a
download, and ending a connection or erasing everything."""
